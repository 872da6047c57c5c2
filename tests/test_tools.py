"""Host tools called from guest Python and JS, through the capability checks."""

from __future__ import annotations

import asyncio

import pytest

import corral
from corral import Param, Sandbox
from corral.capabilities import MethodCapability


def test_python_and_js_call_a_sync_tool():
    def get_weather(city: str) -> dict:
        return {"city": city, "temp": 18}

    with Sandbox(tools=[get_weather]) as sb:
        r = sb.python("w = get_weather(city='SF'); print(w['temp'], w['city'])")
        assert r.stdout == "18 SF\n", r.stderr
        assert r.usage.tool_calls == 1
        r = sb.python("print(tools.get_weather(city='NYC')['city'])")
        assert r.stdout == "NYC\n"
        r = sb.js("const w = await get_weather({city: 'LA'}); console.log(w.city, w.temp)")
        assert r.stdout == "LA 18\n", r.stderr


def test_namespaced_tool_names():
    calls = []

    def create(amount: int, currency: str) -> dict:
        calls.append((amount, currency))
        return {"id": "ch_1"}

    with Sandbox(tools={"stripe/charges/create": create}) as sb:
        r = sb.python("print(tools.stripe.charges.create(amount=5, currency='USD')['id'])")
        assert r.stdout == "ch_1\n", r.stderr
        r = sb.python(
            "import corral\nprint(corral.call('stripe/charges/create', amount=6, currency='EUR'))"
        )
        assert r.ok, r.stderr
        r = sb.js(
            "const c = await tools.stripe.charges.create({amount: 7, currency: 'USD'});"
            "console.log(c.id)"
        )
        assert r.stdout == "ch_1\n", r.stderr
    assert calls == [(5, "USD"), (6, "EUR"), (7, "USD")]


def test_async_tool_from_sync_sandbox():
    async def slow_add(a: int, b: int) -> int:
        await asyncio.sleep(0.01)
        return a + b

    with Sandbox(tools=[slow_add]) as sb:
        assert sb.python("print(slow_add(a=2, b=3))").stdout == "5\n"
        assert sb.js("console.log(await slow_add({a: 4, b: 5}))").stdout == "9\n"


def test_async_tool_runs_on_the_callers_loop():
    loops = []

    async def where() -> str:
        loops.append(asyncio.get_running_loop())
        return "ok"

    async def main():
        async with corral.AsyncSandbox(tools=[where]) as sb:
            r = await sb.python("print(where())")
            assert r.stdout == "ok\n"
        return asyncio.get_running_loop()

    loop = asyncio.run(main())
    assert loops == [loop]


def test_constraint_refusal_never_reaches_host():
    calls = []

    def charge(amount: int, currency: str) -> str:
        calls.append(amount)
        return "charged"

    caps = [MethodCapability("charge", [Param("amount") <= 100, Param("currency").is_in(["USD"])])]
    with Sandbox(tools=[charge], capabilities=caps) as sb:
        r = sb.python(
            "import corral\n"
            "try:\n"
            "    charge(amount=500, currency='USD')\n"
            "except corral.ToolDenied as e:\n"
            "    print('denied:', e)\n"
        )
        assert "denied: tool 'charge' refused: amount must be <= 100 (got 500)" in r.stdout
        r = sb.js(
            "try { await charge({amount: 5, currency: 'GBP'}) }"
            " catch (e) { console.log(e.name, e.message) }"
        )
        assert r.stdout.startswith("ToolDenied tool 'charge' refused: currency"), r.stdout
        assert sb.python("print(charge(amount=50, currency='USD'))").stdout == "charged\n"
    assert calls == [50]


def test_uncaught_refusal_is_an_exception_in_guest():
    def charge(amount: int) -> str:
        return "x"

    with Sandbox(
        tools=[charge], capabilities=[{"method": "charge", "constraints": {"amount": "<=1"}}]
    ) as sb:
        r = sb.python("charge(amount=2)")
        assert r.error == "exception" and r.error_type == "ToolDenied"


def test_method_patterns_allow_and_refuse():
    with Sandbox(
        tools={
            "stripe/charges/create": lambda: 1,
            "stripe/refunds/create": lambda: 2,
            "github/repo/delete": lambda: 3,
        },
        capabilities=[{"method": "stripe/**"}],
    ) as sb:
        assert sb.python("print(tools.stripe.refunds.create())").stdout == "2\n"
        r = sb.python("tools.github.repo.delete()")
        assert r.error_type == "ToolDenied" and "no capability allows" in r.stderr


def test_max_calls_per_tool_and_total():
    n = {"a": 0}

    def ping() -> str:
        n["a"] += 1
        return "pong"

    def other() -> str:
        return "o"

    with Sandbox(
        tools=[ping, other],
        capabilities=[{"method": "ping", "max_calls": 3}, {"method": "other"}],
        budget=corral.Budget(tool_calls=5),
    ) as sb:
        r = sb.python(
            "import corral\nres = []\n"
            "for i in range(5):\n"
            "    try:\n        res.append(ping())\n"
            "    except corral.ToolDenied as e:\n        res.append(str(e))\n"
            "print(res)"
        )
        assert r.stdout.count("'pong'") == 3
        assert "max_calls 3" in r.stdout
        assert n["a"] == 3
        assert sb.python("print(other(), other())").stdout == "o o\n"
        r = sb.python("other()")
        assert r.error_type == "ToolDenied" and "total tool call limit 5" in r.stderr


def test_tool_exception_reaches_guest_as_error():
    def broken() -> None:
        raise RuntimeError("database on fire")

    with Sandbox(tools=[broken]) as sb:
        r = sb.python(
            "import corral\ntry:\n    broken()\n"
            "except corral.ToolError as e:\n    print('caught', e)"
        )
        assert r.stdout == "caught RuntimeError: database on fire\n"
        r = sb.js("try { await broken() } catch (e) { console.log(e.name, e.message) }")
        assert r.stdout == "ToolError RuntimeError: database on fire\n"
        assert sb.python("print('alive')").stdout == "alive\n"


def test_bad_arguments_unknown_tool_and_non_json_result():
    def typed(x: int) -> object:
        return object()

    with Sandbox(tools=[typed]) as sb:
        r = sb.python("typed(y=1)")
        assert r.error_type == "ToolError" and "bad arguments for tool 'typed'" in r.stderr
        r = sb.python("typed(x=1)")
        assert r.error_type == "ToolError" and "not JSON" in r.stderr
        r = sb.python("import corral; corral.call('missing')")
        assert r.error_type == "ToolDenied" and "no tool named 'missing'" in r.stderr


def test_registration_errors():
    with Sandbox() as sb:
        with pytest.raises(corral.ToolError, match="invalid tool name"):
            sb.tool(lambda: 1, name="bad name!")
        sb.tool(lambda: 1, name="dup")
        with pytest.raises(corral.ToolError, match="already registered"):
            sb.tool(lambda: 2, name="dup")
        with pytest.raises(corral.ToolError, match="callable"):
            sb.tool(42)  # type: ignore[arg-type]


def test_tool_decorator_registers_after_start():
    with Sandbox() as sb:
        sb.python("x = 1")

        @sb.tool
        def late(v: int) -> int:
            return v * 10

        assert sb.python("print(late(v=x))").stdout == "10\n"


def test_tool_calls_are_events():
    bus = corral.EventBus()
    events = []
    bus.subscribe(events.append)

    def echo(v: str) -> str:
        return v

    with Sandbox(bus=bus, tools=[echo], capabilities=[{"method": "echo", "max_calls": 1}]) as sb:
        sb.python("echo(v='a')\ntry:\n    echo(v='b')\nexcept Exception:\n    pass")
    tool_events = [(e.type, e.action.args) for e in events if e.action and e.action.kind == "tool"]
    assert tool_events == [
        ("action.requested", {"v": "a"}),
        ("action.completed", {"v": "a"}),
        ("action.denied", {"v": "b"}),
    ]

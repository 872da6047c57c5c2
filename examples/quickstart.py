"""The foundation in one file: files, Python and JS with state, a tool behind
a capability, budgets, and the event stream.

    python examples/quickstart.py
"""

import corral
from corral import Budget, Param, Sandbox
from corral.capabilities import MethodCapability


def get_weather(city: str) -> dict:
    """A host function the guest may call."""
    return {"city": city, "temp_c": {"SF": 18, "NYC": 7}.get(city, 20)}


def main() -> None:
    bus = corral.EventBus()
    bus.subscribe(
        lambda ev: print(f"  event #{ev.seq} {ev.type}"), types=["action.denied", "budget.exceeded"]
    )
    caps = [MethodCapability("get_weather", [Param("city").is_in(["SF", "NYC"])], max_calls=10)]
    with Sandbox(
        budget=Budget(wall_s=2, memory_mb=128), tools=[get_weather], capabilities=caps, bus=bus
    ) as sb:
        sb.files.write("/workspace/data.csv", "a,b\n1,2\n")
        r = sb.python("import csv; print(len(list(csv.reader(open('data.csv')))))")
        print("rows:", r.stdout.strip(), "| exit", r.exit_code, "| wall", f"{r.usage.wall_s:.4f}s")

        sb.python("x = 41")
        print("state:", sb.python("print(x + 1)").stdout.strip())
        print("js:", sb.js("console.log([1, 2, 3].map(x => x * 2))").stdout.strip())

        print("tool:", sb.python("print(get_weather(city='SF'))").stdout.strip())
        r = sb.js("try { await get_weather({city: 'Paris'}) } catch (e) { console.log(e.message) }")
        print("refused:", r.stdout.strip())

        r = sb.python("while True: pass")
        print("runaway:", r.error, "-", r.error_message)
        print("after:", sb.python("print('sandbox still fine')").stdout.strip())


if __name__ == "__main__":
    main()

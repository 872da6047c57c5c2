"""The six tools through the OpenAI and LangChain adapters (corral.adapters)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import corral
from corral.adapters import toolset

NAMES = ["run_shell", "run_python", "run_js", "read_file", "write_file", "list_files"]


@pytest.fixture(scope="module")
def sb():
    with corral.Sandbox(policy="default", budget=corral.Budget(wall_s=30)) as box:
        yield box


def sdk_call(name: str, arguments: str) -> SimpleNamespace:
    """The shape of openai's ChatCompletionMessageToolCall (attributes, not keys)."""
    return SimpleNamespace(
        id="call_1", type="function", function=SimpleNamespace(name=name, arguments=arguments)
    )


def test_openai_schemas(sb):
    tools = sb.openai_tools()
    assert [t["function"]["name"] for t in tools] == NAMES
    for t in tools:
        assert t["type"] == "function"
        params = t["function"]["parameters"]
        assert params["type"] == "object" and params["additionalProperties"] is False
        assert set(params["required"]) <= set(params["properties"])
        assert t["function"]["description"]
    json.dumps(tools)  # plain JSON
    by_name = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    assert by_name["write_file"]["required"] == ["path", "content"]
    assert by_name["list_files"]["required"] == []


def test_handle_accepts_every_shape(sb):
    args = json.dumps({"path": "shapes.txt", "content": "x"})
    assert "wrote 1 bytes" in sb.handle(sdk_call("write_file", args))
    assert sb.handle({"function": {"name": "read_file", "arguments": '{"path": "shapes.txt"}'}}) == "x"
    # Responses API function_call item: name/arguments at the top
    item = {"type": "function_call", "call_id": "c", "name": "read_file", "arguments": '{"path": "shapes.txt"}'}
    assert sb.handle(item) == "x"
    # arguments already parsed, or empty
    assert sb.handle({"name": "read_file", "arguments": {"path": "shapes.txt"}}) == "x"
    assert "/workspace/shapes.txt" in sb.handle({"name": "list_files", "arguments": ""})


@pytest.mark.parametrize(
    "call, expected",
    [
        (sdk_call("read_file", "{not json"), "not valid JSON"),
        (sdk_call("read_file", "[1, 2]"), "must be a JSON object"),
        (sdk_call("read_file", "null"), "must be a JSON object"),
        (sdk_call("read_file", '{"path": 5}'), "'path' must be a string"),
        (sdk_call("read_file", '{"path": "a", "mode": "rb"}'), "takes no argument 'mode'"),
        (sdk_call("write_file", '{"path": "a"}'), "needs the argument 'content'"),
        (sdk_call("rm_rf", "{}"), "unknown tool 'rm_rf'"),
        ({"function": {"arguments": "{}"}}, "no function name"),
        ({}, "no function name"),
        ("run_shell", "no function name"),
        (None, "no function name"),
        (sdk_call("read_file", "1" * 100 + "e99999"), "bad arguments"),
        (sdk_call("read_file", "[" * 100_000), "not valid JSON"),
        (sdk_call("run_shell", 42), "must be a JSON string"),
    ],
)
def test_bad_tool_calls_are_text_not_exceptions(sb, call, expected):
    out = sb.handle(call)
    assert isinstance(out, str) and out.startswith("bad arguments:") and expected in out, out


def test_refusals_and_errors_are_text(sb):
    out = sb.handle(sdk_call("run_shell", json.dumps({"command": "nmap -sS 10.0.0.0/24"})))
    assert out.startswith("exit code: 126 (not run)")
    assert "denied (rule commands.deny" in out and "discovery-scanner" in out
    out = sb.handle(sdk_call("read_file", json.dumps({"path": "../../../etc/shadow"})))
    assert out.startswith("error:") and "outside /workspace" in out
    out = sb.handle(sdk_call("read_file", json.dumps({"path": "nope/missing"})))
    assert out.startswith("error: no such file")
    out = sb.handle(sdk_call("list_files", json.dumps({"path": "shapes.txt"})))
    assert out.startswith("error: not a directory")
    out = sb.handle(sdk_call("write_file", json.dumps({"path": "/workspace", "content": "x"})))
    assert out.startswith("error:")


def test_outputs_are_capped_for_a_model(sb):
    outcome = toolset.call(sb, "run_python", {"code": "print('x' * 200_000 + 'TAIL')"},
                           max_output_chars=1_000)
    assert outcome.ok and len(outcome.text) < 2_000
    assert "characters cut by corral" in outcome.text and "TAIL" in outcome.text
    sb.files.write("big.txt", "y" * 100_000 + "END")
    outcome = toolset.call(sb, "read_file", {"path": "big.txt"}, max_output_chars=500)
    assert "END" in outcome.text and outcome.data["truncated"] and outcome.data["bytes"] == 100_003
    sb.files.write("bin.dat", bytes(range(256)))
    outcome = toolset.call(sb, "read_file", {"path": "bin.dat"})
    assert outcome.ok and outcome.data["binary"] and "not UTF-8" in outcome.text
    sb.run("mkdir -p many && cd many && for i in $(seq 1 30); do : > f$i; done")
    outcome = toolset.call(sb, "list_files", {"path": "many"}, max_list_entries=10)
    assert outcome.text.count("\n") == 10 and "and 20 more entries" in outcome.text


def test_langchain_tools(sb):
    pytest.importorskip("langchain_core")
    from langchain_core.tools import BaseTool

    from corral.adapters.langchain import sandbox_tools

    tools = {t.name: t for t in sandbox_tools(sb)}
    assert list(tools) == NAMES and all(isinstance(t, BaseTool) for t in tools.values())
    assert set(tools["write_file"].args) == {"path", "content"}
    assert tools["write_file"].invoke({"path": "lc.txt", "content": "from langchain"}).startswith("wrote")
    assert tools["read_file"].invoke({"path": "lc.txt"}) == "from langchain"
    assert "lc.txt" in tools["list_files"].invoke({})
    out = tools["run_shell"].invoke({"command": "ssh -R 1:localhost:22 x"})
    assert "exit code: 126 (not run)" in out and "tunnel" in out
    assert "outside /workspace" in tools["read_file"].invoke({"path": "../x"})
    assert "42" in tools["run_js"].invoke({"code": "console.log(6 * 7)"})

"""The Sandbox API with the real CPython and QuickJS guests."""

from __future__ import annotations

import pytest

import corral


def test_issue_example_end_to_end():
    with corral.Sandbox() as sb:
        sb.files.write("/workspace/data.csv", "a,b\n1,2\n")
        r = sb.python(
            "import csv; rows = list(csv.reader(open('/workspace/data.csv'))); print(len(rows))"
        )
        assert (r.stdout, r.exit_code, r.error) == ("2\n", 0, None)
        assert r.usage.wall_s > 0 and r.usage.memory_bytes > 1_000_000
        assert r.usage.cpu_s > 0
        sb.python("x = 41")
        assert sb.python("print(x + 1)").stdout == "42\n"
        assert sb.js("console.log([1,2,3].map(x => x * 2))").stdout == "2,4,6\n"


def test_python_state_functions_and_imports_persist(sb):
    sb.python("import json\ndef f(n):\n    return n * 2\ncounter = 0")
    for _ in range(3):
        sb.python("counter += 1")
    r = sb.python("print(f(counter), json.dumps({'a': counter}))")
    assert r.stdout == '6 {"a": 3}\n'


def test_js_state_persists_var_let_and_functions(sb):
    assert sb.js("var a = 1; let b = 2; function add(x, y) { return x + y }").ok
    r = sb.js("console.log(add(a, b), typeof add)")
    assert r.stdout == "3 function\n"


def test_js_top_level_await_and_objects(sb):
    r = sb.js("const v = await Promise.resolve({k: [1, 2]}); console.log(v, JSON.stringify(v.k))")
    assert r.stdout == '{"k":[1,2]} [1,2]\n'


def test_relative_paths_resolve_in_workspace(sb):
    sb.files.write("notes.txt", "hello")
    r = sb.python("import os; print(os.getcwd()); print(open('notes.txt').read())")
    assert r.stdout == "/workspace\nhello\n"


def test_guest_files_visible_to_host_and_js(sb):
    assert sb.python("open('out.txt', 'w').write('from python')").ok
    assert sb.files.read("/workspace/out.txt") == "from python"
    r = sb.js("console.log(std.loadFile('/workspace/out.txt'))")
    assert r.stdout == "from python\n"


def test_exception_gives_traceback_and_error_kind(sb):
    r = sb.python("def g():\n    raise ValueError('bad value')\ng()")
    assert r.exit_code == 1
    assert r.error == "exception"
    assert r.error_type == "ValueError" and r.error_message == "bad value"
    assert 'File "<sandbox>", line 2, in g' in r.stderr
    assert "ValueError: bad value" in r.stderr
    assert "python_driver" not in r.stderr


def test_syntax_error_is_reported(sb):
    r = sb.python("def (:")
    assert r.error == "exception" and r.error_type == "SyntaxError"
    assert sb.python("print('fine')").stdout == "fine\n"


def test_js_exception(sb):
    r = sb.js("function boom() { throw new TypeError('nope') }\nboom()")
    assert r.exit_code == 1 and r.error == "exception"
    assert r.error_type == "TypeError" and r.error_message == "nope"
    assert "Uncaught TypeError: nope" in r.stderr
    assert "<cmdline>" not in r.stderr


def test_sys_exit_keeps_interpreter(sb):
    sb.python("keep = 'yes'")
    r = sb.python("import sys; sys.exit(3)")
    assert (r.exit_code, r.error) == (3, "exit")
    r = sb.python("print(keep)")
    assert r.stdout == "yes\n" and not r.restarted


def test_hard_exit_restarts_interpreter_and_says_so(sb):
    sb.python("keep = 1")
    r = sb.python("import os; os._exit(4)")
    assert r.exit_code == 4
    r = sb.python("print('keep' in globals())")
    assert r.restarted is True
    assert r.stdout == "False\n"
    assert sb.python("print(1)").restarted is False


def test_stdin_is_given_to_guest(sb):
    r = sb.python("import sys; print(sys.stdin.read().upper())", stdin="abc\ndef\n")
    assert r.stdout == "ABC\nDEF\n\n"
    assert sb.python("print(repr(input()))", stdin="line one\n").stdout == "'line one'\n"


def test_stderr_captured_separately(sb):
    r = sb.python("import sys; print('out'); print('err', file=sys.stderr)")
    assert r.stdout == "out\n" and r.stderr == "err\n"
    r = sb.js("console.log('o'); console.error('e')")
    assert r.stdout == "o\n" and r.stderr == "e\n"


def test_guest_cannot_use_sockets(sb):
    r = sb.python(
        "import socket\n"
        "try:\n"
        "    socket.socket().connect(('127.0.0.1', 22))\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n"
    )
    assert r.stdout.startswith("refused"), r.stderr
    r = sb.python("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:1/')")
    assert r.error == "exception"


def test_guest_sees_no_host_filesystem(sb):
    r = sb.python(
        "import os\n"
        "paths = ['/etc/passwd', '/workspace/../etc/passwd', '../../../etc/passwd', '/proc/self']\n"
        "for p in paths:\n"
        "    try:\n"
        "        open(p).read(); print('LEAK', p)\n"
        "    except OSError as e:\n"
        "        print('blocked', p)\n"
    )
    assert "LEAK" not in r.stdout
    assert r.stdout.count("blocked") == 4


def test_closed_sandbox_refuses_calls_and_removes_dir():
    sb = corral.Sandbox()
    path = sb.path
    sb.python("print(1)")
    sb.close()
    sb.close()  # idempotent
    assert not path.exists()
    with pytest.raises(corral.SandboxClosed):
        sb.python("print(1)")


def test_keep_and_workdir(tmp_path):
    with corral.Sandbox(keep=True) as sb:
        sb.files.write("k.txt", "x")
        kept = sb.path
    assert (kept / "k.txt").read_text() == "x"
    import shutil

    shutil.rmtree(kept)
    wd = tmp_path / "mine"
    with corral.Sandbox(workdir=wd) as sb:
        sb.python("open('made.txt', 'w').write('y')")
    assert (wd / "made.txt").read_text() == "y"


def test_code_must_be_a_string(sb):
    with pytest.raises(TypeError, match="code must be a str"):
        sb.python(b"print(1)")  # type: ignore[arg-type]


def test_unicode_round_trip(sb):
    r = sb.python("print('héllo → 世界 🐍')")
    assert r.stdout == "héllo → 世界 🐍\n"
    r = sb.js("console.log('héllo → 世界')")
    assert r.stdout == "héllo → 世界\n"


def test_a_script_too_long_is_refused_before_anything_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import corral.sandbox as sandbox_module
    from corral.events import EventBus

    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.type))
    with corral.Sandbox(policy="default", bus=bus) as sb:
        # the real bound: a hostile line past it costs the host nothing but the refusal
        r = sb.run("echo " + "((" * (sandbox_module.MAX_SCRIPT_CHARS // 2))
        assert (r.exit_code, r.error) == (126, "denied")
        assert "characters long; corral runs scripts of at most 524,288" in r.stderr
        assert "action.denied" in seen and "action.requested" not in seen
        monkeypatch.setattr(sandbox_module, "MAX_SCRIPT_CHARS", 64)
        assert sb.run("echo " + "x" * 59).exit_code == 0  # 64 characters: runs
        r = sb.run("echo " + "x" * 60)
        assert r.exit_code == 126 and "65 characters long" in r.stderr

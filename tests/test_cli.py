"""The command line: real processes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys


def corral(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "corral", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_run_python_and_js():
    p = corral("run", "--lang", "python", "print(1+1)")
    assert (p.returncode, p.stdout) == (0, "2\n")
    p = corral("run", "--lang", "js", "console.log([1,2].map(x => x * 3))")
    assert (p.returncode, p.stdout) == (0, "3,6\n")


def test_run_exit_code_stdin_code_and_file(tmp_path):
    p = corral("run", "--lang", "python", "import sys; print('bye'); sys.exit(7)")
    assert (p.returncode, p.stdout) == (7, "bye\n")
    p = corral("run", "-l", "python", "-", stdin="print('from stdin')")
    assert p.stdout == "from stdin\n"
    f = tmp_path / "prog.js"
    f.write_text("console.log('from file')")
    p = corral("run", "--lang", "js", "--file", str(f))
    assert p.stdout == "from file\n"


def test_run_json_and_budgets():
    p = corral("run", "--lang", "python", "--json", "--timeout", "0.5", "while True: pass")
    data = json.loads(p.stdout)
    assert data["budget_exceeded"] == "wall_time" and data["ok"] is False
    assert p.returncode == 137


def test_bad_input_gives_clear_errors_not_tracebacks(tmp_path):
    for args in (
        ["run", "--lang", "ruby", "puts 1"],
        ["run"],
        ["run", "--timeout", "-1", "print(1)"],
        ["run", "--file", str(tmp_path / "missing.py")],
        ["run", "--file", str(tmp_path / "missing.py"), "print(1)"],
    ):
        p = corral(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr
        assert "corral:" in p.stderr


def test_guest_exception_prints_guest_traceback_only():
    p = corral("run", "--lang", "python", "1/0")
    assert p.returncode == 1
    assert "ZeroDivisionError" in p.stderr
    assert "corral/" not in p.stderr


def test_run_shell_line_is_the_default():
    p = corral("run", "x=4; echo $((x * 10)) | cat")
    assert (p.returncode, p.stdout) == (0, "40\n")
    p = corral("run", "echo 'unterminated")
    assert p.returncode == 2 and "unexpected EOF" in p.stderr and "Traceback" not in p.stderr
    p = corral("run", "exit 5")
    assert p.returncode == 5


def test_runtimes_info(tmp_path):
    p = corral("runtimes", "info", "--json")
    assert p.returncode == 0
    info = {r["name"]: r for r in json.loads(p.stdout)}
    assert info["python"]["status"] == "ok" and info["js"]["status"] == "ok"
    import os

    env = dict(os.environ, CORRAL_HOME=str(tmp_path / "empty"))
    p = corral("runtimes", "info", env=env)
    assert p.returncode == 1
    assert "missing" in p.stdout and "corral runtimes install" in p.stderr


def test_missing_runtime_without_auto_install(tmp_path):
    import os

    env = dict(os.environ, CORRAL_HOME=str(tmp_path / "empty"), CORRAL_NO_AUTO_INSTALL="1")
    p = corral("run", "--lang", "python", "print(1)", env=env)
    assert p.returncode == 2
    assert "not installed" in p.stderr and "corral runtimes install" in p.stderr
    assert "Traceback" not in p.stderr


def test_demo_runs():
    p = corral("demo")
    assert p.returncode == 0, p.stderr
    for text in ("42", "2,4,6", "ToolDenied", "wall_time", "memory", "still here"):
        assert text in p.stdout


def test_unknown_backend_and_misspelled_policy_are_one_clear_line():
    p = corral("run", "--backend", "docker", "echo hi")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "unknown backend 'docker'" in p.stderr and "'bwrap'" in p.stderr
    p = corral("run", "--policy", "defualt", "echo hi")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "no built-in policy named 'defualt'" in p.stderr
    assert "did you mean 'default'" in p.stderr


def test_version_and_short_help():
    p = corral("--version")
    assert p.returncode == 0 and p.stdout.startswith("corral ")
    p = corral("-h")
    assert p.returncode == 0 and "Usage" in p.stdout
    p = corral("run", "-h")
    assert p.returncode == 0 and "--backend" in p.stdout

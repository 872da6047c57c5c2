"""Tests for the small built-ins (corral.shell.builtins.misc).

Expected outputs were produced on the reference machine by bash 5.2's echo and
printf and GNU coreutils 9.1 (date, seq, du, df...) with LC_ALL=C and TZ=UTC,
then hard-coded here. The identity commands report the sandbox's fixed values.
"""

from __future__ import annotations

import io
import os
import time

import pytest

from corral.budget import Budget
from corral.shell.command import REGISTRY, Cancelled, CommandContext
from corral.shell.testing import BuiltinBench

UTC = {"TZ": "UTC", "HOME": "/workspace"}


@pytest.fixture
def bb():
    with BuiltinBench() as b:
        yield b


def run(bb, *argv, stdin=b"", env=None):
    return bb.run(list(argv), stdin=stdin, env=env or UTC)


# ---------------------------------------------------------------------------
# echo
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["a", "b"], b"a b\n"),
        (["-n", "x"], b"x"),
        (["-ne", "x\\n"], b"x\n"),
        (["-en", "y\\n"], b"y\n"),
        (["-nx"], b"-nx\n"),
        (["-", "-n"], b"- -n\n"),
        (["--"], b"--\n"),
        (["-E", "\\n"], b"\\n\n"),
        (["-eE", "\\n"], b"\\n\n"),
        (["-e", "a\\tb\\x41\\u00e9\\0101\\101\\c zz"], b"a\tbA\xc3\xa9A\\101"),
        (["-e", "\\e\\E\\q\\\\"], b"\x1b\x1b\\q\\\n"),
        (["-n", "-e", "\\x4g\\x"], b"\x04g\\x"),
        (["-e", "\\08\\0"], b"\x008\x00\n"),
        (["-e", "a\\cb"], b"a"),
        (["-e", "tail\\"], b"tail\\\n"),
        ([], b"\n"),
    ],
)
def test_echo(bb, argv, out):
    r = run(bb, "echo", *argv)
    assert (r.status, r.stdout) == (0, out)


# ---------------------------------------------------------------------------
# printf
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["%s-%s\\n", "a", "b", "c"], b"a-b\nc-\n"),
        (["%d %i %u %o %x %X\\n", "255", "0x1F", "010", "8", "255", "255"], b"255 31 8 10 ff FF\n"),
        (
            ["%5.2f|%e|%g|%G|%E\\n", "3.14159", "1234.5", "0.0001", "1e20", "5"],
            b" 3.14|1.234500e+03|0.0001|1E+20|5.000000E+00\n",
        ),
        (["%c%c\\n", "hello", "w"], b"hw\n"),
        (["%b\\n", "a\\tb\\101\\0102"], b"a\tbAB\n"),
        (
            [
                "%%|%5s|%-5s|%.2s|%05d|%+d|% d|%#x|%#o\\n",
                "ab",
                "ab",
                "abc",
                "42",
                "5",
                "5",
                "255",
                "8",
            ],
            b"%|   ab|ab   |ab|00042|+5| 5|0xff|010\n",
        ),
        (["%*d|%-*d|%.*f\\n", "5", "1", "4", "2", "2", "3.14159"], b"    1|2   |3.14\n"),
        (["%d %s\\n"], b"0 \n"),
        (["plain\\n", "a", "b"], b"plain\n"),
        (["%u %x\\n", "-1", "-1"], b"18446744073709551615 ffffffffffffffff\n"),
        (["\\x41\\101\\n"], b"AA\n"),
        (["a\\cb\\n"], b"a\\cb\n"),
        (["%b|\\n", "a\\cb", "c"], b"a"),
        (["%.3d|%5.3d\\n", "7", "7"], b"007|  007\n"),
        (["%s\\n", "--", "a"], b"--\na\n"),
        (["--", "%s\\n", "b"], b"b\n"),
        (["%d\\n", "+7", " -3"], b"7\n-3\n"),
        (["%.0f %.0f\\n", "0.5", "1.5"], b"0 2\n"),
        (["\\0101|%c|%c|\\n", "", "abc"], b"\x081|\x00|a|\n"),
        (["%08.3f\\n", "-3.14159"], b"-003.142\n"),
        (["%.3s|%10.4f|%-8.2e|\\n", "abcdef", "2.5", "12345"], b"abc|    2.5000|1.23e+04|\n"),
        (["%x %X %#X\\n", "0", "255", "255"], b"0 FF 0XFF\n"),
        (["%5s|%-5b|\\n", "ab", "c\\n"], b"   ab|c\n   |\n"),
        (
            ["%q\\n", "a b", "it's", "", "x$y", "~a", "#b", "c#"],
            b"a\\ b\nit\\'s\n''\nx\\$y\n\\~a\n\\#b\nc#\n",
        ),
        (["%q\\n", "a\tb"], b"$'a\\tb'\n"),
        (["%5s|\\n", "\u00e9"], b"   \xc3\xa9|\n"),
        (["%i|%d\\n", "-0x10", "010"], b"-16|8\n"),
        (["%g %g %g\\n", "100000", "1000000", "0.00001"], b"100000 1e+06 1e-05\n"),
    ],
)
def test_printf(bb, argv, out):
    r = run(bb, "printf", *argv)
    assert (r.status, r.stdout, r.err) == (0, out, "")


@pytest.mark.parametrize(
    ("argv", "out", "err", "status"),
    [
        (
            ["%d\\n", "'a", '"b', "x", "12abc", "3"],
            b"97\n98\n0\n12\n3\n",
            "printf: x: invalid number\nprintf: 12abc: invalid number\n",
            1,
        ),
        (["%d\\n", "0x"], b"0\n", "printf: 0x: invalid hex number\n", 1),
        (["%d\\n", "08"], b"0\n", "printf: 08: invalid octal number\n", 1),
        (["%f\\n", "abc"], b"0.000000\n", "printf: abc: invalid number\n", 1),
        (["%z\\n"], b"", "printf: `\\': invalid format character\n", 1),
        (["a%kb"], b"a", "printf: `k': invalid format character\n", 1),
        (["%"], b"", "printf: `%': missing format character\n", 1),
        (
            ["%d\\n", "99999999999999999999"],
            b"9223372036854775807\n",
            "printf: warning: 99999999999999999999: Numerical result out of range\n",
            0,
        ),
        ([], b"", "printf: usage: printf [-v var] format [arguments]\n", 2),
    ],
)
def test_printf_errors(bb, argv, out, err, status):
    r = run(bb, "printf", *argv)
    assert (r.status, r.stdout, r.err) == (status, out, err)


def test_printf_time_format(bb):
    assert run(bb, "printf", "%(%Y-%m-%d %H:%M)T\\n", "0").out == "1970-01-01 00:00\n"
    r = run(bb, "printf", "%(%H:%M %Z)T\\n", "0", env={"TZ": "Asia/Kolkata"})
    assert r.out == "05:30 IST\n"


# ---------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["-d", "@0"], "Thu Jan  1 00:00:00 UTC 1970"),
        (["-u", "-d", "2024-01-02"], "Tue Jan  2 00:00:00 UTC 2024"),
        (
            [
                "-d",
                "2024-01-02 03:04:05",
                "+%Y %m %d %H %M %S %s %j %a %A %b %B %Z %z %F %T %D %N %e %u %w %%",
            ],
            "2024 01 02 03 04 05 1704164645 002 Tue Tuesday Jan January UTC +0000 "
            "2024-01-02 03:04:05 01/02/24 000000000  2 2 2 %",
        ),
        (
            [
                "-d",
                "2024-03-05",
                "+%e|%-d|%_m|%k|%l|%I|%p|%P|%y|%C|%h|%U|%W|%V|%G|%c|%x|%X|%r|%R|%:z|%::z|%^a|%#Z|%10N|%3N",
            ],
            " 5|5| 3| 0|12|12|AM|am|24|20|Mar|09|10|10|2024|Tue Mar  5 00:00:00 2024|"
            "03/05/24|00:00:00|12:00:00 AM|00:00|+00:00|+00:00:00|TUE|utc|0000000000|000",
        ),
        (["-d", "2021-01-03", "+%U|%W|%V|%G|%g|%u|%w"], "01|00|53|2020|20|7|0"),
        (["-I", "-d", "@86400"], "1970-01-02"),
        (["-Iseconds", "-d", "@86400"], "1970-01-02T00:00:00+00:00"),
        (["--iso-8601=minutes", "-d", "@86400"], "1970-01-02T00:00+00:00"),
        (["--iso-8601=ns", "-d", "@86400.5"], "1970-01-02T00:00:00,500000000+00:00"),
        (["-R", "-d", "@86400"], "Fri, 02 Jan 1970 00:00:00 +0000"),
        (["--rfc-3339=seconds", "-d", "@86400"], "1970-01-02 00:00:00+00:00"),
        (["-d", "2024-01-02T03:04:05Z", "+%s"], "1704164645"),
        (["-d", "2024-01-02 03:04:05 +0200", "+%s"], "1704157445"),
        (["-d", "2024-01-02T10:00:00+05:30", "+%F %T"], "2024-01-02 04:30:00"),
        (["-u", "-d", "2024-01-31 +1 month", "+%F"], "2024-03-02"),
        (["-d", "2024-03-31 -1 month", "+%F"], "2024-03-02"),
        (["-d", "2024-01-02 +2 weeks", "+%F"], "2024-01-16"),
        (["-d", "2024-01-02 3 days ago", "+%F"], "2023-12-30"),
        (["-d", "2024-01-02 yesterday", "+%F"], "2024-01-01"),
        (["-d", "2024-01-02 tomorrow", "+%F"], "2024-01-03"),
        (["-d", "2024-01-02 next year", "+%F"], "2025-01-02"),
        (["-d", "2024-01-02 +90 minutes", "+%F %T"], "2024-01-02 01:30:00"),
        (["-d", "2024-01-02 -3 hours", "+%F %T"], "2024-01-01 21:00:00"),
        (["-d", "Jan 2, 2024 10:00", "+%F %T"], "2024-01-02 10:00:00"),
        (["-d", "2 January 2024", "+%F"], "2024-01-02"),
        (["-d", "01/02/2024", "+%F"], "2024-01-02"),
        (["-d", "20240102", "+%F"], "2024-01-02"),
        (["-d", "2024-01-02 3pm", "+%T"], "15:00:00"),
        (["-d", "2024-01-02 12:30am", "+%T"], "00:30:00"),
        (["-d", "Tue, 02 Jan 2024 10:00:00 +0000", "+%s"], "1704189600"),
        (["-d", "Tue Jan  2 10:00:00 UTC 2024", "+%s"], "1704189600"),
        (["-d", "@1.5", "+%s.%N"], "1.500000000"),
        (["-d", "2024-07-04", "+%a"], "Thu"),
        (["-d", "Dec 25 2025 8am", "+%F %T"], "2025-12-25 08:00:00"),
    ],
)
def test_date_formats_and_parsing(bb, argv, out):
    r = run(bb, "date", *argv)
    assert (r.status, r.out, r.err) == (0, out + "\n", "")


def test_date_time_zones(bb):
    r = run(bb, "date", "-d", "@0", env={"TZ": "America/New_York"})
    assert r.out == "Wed Dec 31 19:00:00 EST 1969\n"
    r = run(bb, "date", "-d", "2024-01-02 03:04", "+%z%Z", env={"TZ": "Asia/Kolkata"})
    assert r.out == "+0530IST\n"
    r = run(bb, "date", "-u", "-d", "@0", "+%H %Z", env={"TZ": "Asia/Kolkata"})
    assert r.out == "00 UTC\n"


def test_date_relative_to_now(bb):
    now = time.time()
    for expr, delta in (
        ("now", 0),
        ("yesterday", -86400),
        ("tomorrow", 86400),
        ("2 days ago", -172800),
        ("+3 days", 259200),
        ("1 hour ago", -3600),
        ("-1 week", -604800),
    ):
        r = run(bb, "date", "-d", expr, "+%s")
        assert abs(int(r.out) - (now + delta)) < 5, expr
    monday = run(bb, "date", "-d", "next monday", "+%a %H:%M:%S").out
    assert monday == "Mon 00:00:00\n"


def test_date_default_now(bb):
    r = run(bb, "date")
    assert r.status == 0
    assert time.strptime(r.out.strip(), "%a %b %d %H:%M:%S UTC %Y")
    r = run(bb, "date", "+%s")
    assert abs(int(r.out) - time.time()) < 5


def test_date_reference_file(bb):
    bb.write("f", "")
    os.utime(bb.root / "f", (1704164645, 1704164645))
    assert run(bb, "date", "-r", "f", "+%F %T").out == "2024-01-02 03:04:05\n"


@pytest.mark.parametrize(
    ("argv", "err"),
    [
        (["-d", "garbage"], "date: invalid date 'garbage'\n"),
        (["-d", "2024-02-30"], "date: invalid date '2024-02-30'\n"),
        (["-d", "25:00"], "date: invalid date '25:00'\n"),
        (["foo"], "date: invalid date 'foo'\n"),
        (["x", "y"], "date: extra operand 'y'\nTry 'date --help' for more information.\n"),
        (["-Q"], "date: invalid option -- 'Q'\nTry 'date --help' for more information.\n"),
    ],
)
def test_date_errors(bb, argv, err):
    r = run(bb, "date", *argv)
    assert (r.status, r.err) == (1, err)


# ---------------------------------------------------------------------------
# seq, yes, true, false, sleep
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["3"], "1\n2\n3\n"),
        (["2", "4"], "2\n3\n4\n"),
        (["1", "2", "8"], "1\n3\n5\n7\n"),
        (["-2", "1"], "-2\n-1\n0\n1\n"),
        (["0", "0.25", "1"], "0.00\n0.25\n0.50\n0.75\n1.00\n"),
        (["-s:", "5"], "1:2:3:4:5\n"),
        (["-s", ", ", "3"], "1, 2, 3\n"),
        (["-w", "8", "10"], "08\n09\n10\n"),
        (["-w", "-1", "1"], "-1\n00\n01\n"),
        (["-f", "%03g", "3"], "001\n002\n003\n"),
        (["-f", "n%.1f", "1", "0.5", "2"], "n1.0\nn1.5\nn2.0\n"),
        (["5", "1"], ""),
        (["10", "-3", "1"], "10\n7\n4\n1\n"),
        (["1e2", "1e2", "3e2"], "100\n200\n300\n"),
        (["0.1", "0.1", "0.5"], "0.1\n0.2\n0.3\n0.4\n0.5\n"),
        (["1", "1.0", "3"], "1.0\n2.0\n3.0\n"),
        (["-w", "99", "101"], "099\n100\n101\n"),
        (["--", "-3", "-1"], "-3\n-2\n-1\n"),
        (["-f", "%%%g", "2"], "%1\n%2\n"),
        (["0x10", "0x12"], "16\n17\n18\n"),
    ],
)
def test_seq(bb, argv, out):
    r = run(bb, "seq", *argv)
    assert (r.status, r.out, r.err) == (0, out, "")


@pytest.mark.parametrize(
    ("argv", "err"),
    [
        (
            ["1", "0", "3"],
            "seq: invalid Zero increment value: '0'\nTry 'seq --help' for more information.\n",
        ),
        (
            ["x"],
            "seq: invalid floating point argument: 'x'\nTry 'seq --help' for more information.\n",
        ),
        ([], "seq: missing operand\nTry 'seq --help' for more information.\n"),
        (["-f", "%x", "3"], "seq: format '%x' has unknown %x directive\n"),
        (["-f", "abc", "3"], "seq: format 'abc' has no % directive\n"),
        (["1", "2", "3", "4"], "seq: extra operand '4'\nTry 'seq --help' for more information.\n"),
    ],
)
def test_seq_errors(bb, argv, err):
    r = run(bb, "seq", *argv)
    assert (r.status, r.err) == (1, err)


def test_seq_large_streams(bb):
    r = run(bb, "seq", "200000")
    lines = r.stdout.split(b"\n")
    assert lines[0] == b"1" and lines[-2] == b"200000" and len(lines) == 200001
    r = bb.run(["seq", "inf"], timeout=0.3)
    assert r.status == 124 and r.stdout.startswith(b"1\n2\n3\n")


class _Sink(io.RawIOBase):
    """A stdout that keeps only the first bytes written."""

    def __init__(self) -> None:
        self.head = b""
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        if len(self.head) < 100:
            self.head += bytes(b[:100])
        self.total += len(b)
        return len(b)


def _ctx(bb, argv, stdout, timeout):
    return CommandContext(
        argv=argv,
        stdin=io.BytesIO(),
        stdout=stdout,
        stderr=io.BytesIO(),
        env={},
        cwd="/workspace",
        ws=bb.ws,
        deadline=time.monotonic() + timeout,
    )


@pytest.mark.parametrize(("args", "line"), [([], b"y\n"), (["a", "b"], b"a b\n")])
def test_yes_until_the_wall_budget(bb, args, line):
    sink = _Sink()
    t = time.monotonic()
    with pytest.raises(Cancelled):
        REGISTRY["yes"](_ctx(bb, ["yes", *args], sink, 0.1))
    assert time.monotonic() - t < 1.0
    assert sink.head.startswith(line * 3) and sink.total > 65536


def test_yes_stops_on_broken_pipe(bb):
    class Closing(io.RawIOBase):
        writes = 0

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[override]
            self.writes += 1
            if self.writes > 3:
                raise BrokenPipeError(32, "Broken pipe")
            return len(b)

    out = Closing()
    with pytest.raises(BrokenPipeError):
        REGISTRY["yes"](_ctx(bb, ["yes"], out, 5))
    assert out.writes == 4
    assert bb.run(["yes"], timeout=0.01).status == 124


def test_true_false(bb):
    assert run(bb, "true", "x").status == 0
    assert run(bb, "false", "x").status == 1


def test_sleep(bb):
    t = time.monotonic()
    assert run(bb, "sleep", "0.1", "0.05s").status == 0
    assert 0.14 <= time.monotonic() - t < 1.0
    t = time.monotonic()
    r = bb.run(["sleep", "10m"], timeout=0.2)
    assert r.status == 124 and time.monotonic() - t < 1.0
    r = run(bb, "sleep", "x")
    assert (r.status, r.err) == (
        1,
        "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n",
    )
    r = run(bb, "sleep")
    assert r.err == "sleep: missing operand\nTry 'sleep --help' for more information.\n"


# ---------------------------------------------------------------------------
# identity and environment
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["uname"], "Linux\n"),
        (["uname", "-a"], "Linux corral corral-wasm #1 corral wasm32 GNU/Linux\n"),
        (["uname", "-snrmo"], "Linux corral corral-wasm wasm32 GNU/Linux\n"),
        (["uname", "-m"], "wasm32\n"),
        (["uname", "-p"], "unknown\n"),
        (["whoami"], "user\n"),
        (["hostname"], "corral\n"),
        (["id"], "uid=1000(user) gid=1000(user) groups=1000(user)\n"),
        (["id", "-u"], "1000\n"),
        (["id", "-un"], "user\n"),
        (["id", "-G"], "1000\n"),
        (["id", "-gn"], "user\n"),
        (["nproc"], "1\n"),
        (["nproc", "--all"], "1\n"),
    ],
)
def test_identity(bb, argv, out):
    r = run(bb, *argv)
    assert (r.status, r.out, r.err) == (0, out, "")


def test_identity_errors(bb):
    r = run(bb, "uname", "x")
    assert (r.status, r.err) == (
        1,
        "uname: extra operand 'x'\nTry 'uname --help' for more information.\n",
    )
    assert run(bb, "id", "nobody").err == "id: 'nobody': no such user\n"
    assert run(bb, "hostname", "other").status == 1


def test_printenv_and_env(bb):
    env = {"HOME": "/workspace", "PATH": "/usr/bin", "X": "1"}
    assert run(bb, "printenv", env=env).out == "HOME=/workspace\nPATH=/usr/bin\nX=1\n"
    r = run(bb, "printenv", "HOME", "NOPE", "X", env=env)
    assert (r.status, r.out) == (1, "/workspace\n1\n")
    assert run(bb, "env", env=env).out == "HOME=/workspace\nPATH=/usr/bin\nX=1\n"
    assert run(bb, "env", "-u", "X", "A=2", env=env).out == "HOME=/workspace\nPATH=/usr/bin\nA=2\n"
    assert run(bb, "env", "-0", env={"A": "1"}).stdout == b"A=1\0"
    assert run(bb, "env", "ls", env=env).status == 125


# ---------------------------------------------------------------------------
# mktemp, du, df
# ---------------------------------------------------------------------------


def test_mktemp(bb):
    r = run(bb, "mktemp")
    path = r.out.strip()
    assert path.startswith("/workspace/.tmp/tmp.") and len(path) == len("/workspace/.tmp/tmp.") + 10
    host = bb.root / path[len("/workspace/") :]
    assert host.is_file() and os.stat(host).st_mode & 0o777 == 0o600
    d = run(bb, "mktemp", "-d").out.strip()
    assert (bb.root / d[len("/workspace/") :]).is_dir()
    r = run(bb, "mktemp", "foo.XXX")
    assert r.out.startswith("foo.") and len(r.out) == 8 and (bb.root / r.out.strip()).exists()
    r = run(bb, "mktemp", "-p", ".", "t.XXXXXX")
    assert r.out.startswith("./t.")
    r = run(bb, "mktemp", "--suffix=.txt")
    assert r.out.strip().endswith(".txt")
    r = run(bb, "mktemp", "-u")
    assert not (bb.root / r.out.strip()[len("/workspace/") :]).exists()
    r = run(bb, "mktemp", "ab")
    assert (r.status, r.err) == (1, "mktemp: too few X's in template 'ab'\n")
    r = run(bb, "mktemp", "-p", "/etc")
    assert r.status == 1 and "outside /workspace" in r.err


def du_tree(b: BuiltinBench) -> None:
    (b.root / "u" / "b").mkdir(parents=True)
    (b.root / "u" / "f").write_bytes(b" " * 5000)
    (b.root / "u" / "b" / "g").write_bytes(b"x")
    os.link(b.root / "u" / "f", b.root / "u" / "hard")


def test_du_apparent_sizes(bb):
    du_tree(bb)
    assert run(bb, "du", "-b", "u/f", "u/b/g").out == "5000\tu/f\n1\tu/b/g\n"
    assert run(bb, "du", "-sb", "u/f", "u/hard").out == "5000\tu/f\n"  # hard links once
    assert run(bb, "du", "-ab", "--max-depth=1", "u").out.splitlines()[-1].endswith("\tu")


def test_du_structure(bb):
    du_tree(bb)
    lines = run(bb, "du", "u").out.splitlines()
    assert [ln.split("\t")[1] for ln in lines] == ["u/b", "u"]
    lines = run(bb, "du", "-a", "u").out.splitlines()
    assert [ln.split("\t")[1] for ln in lines] == ["u/b/g", "u/b", "u/f", "u"]
    assert [ln.split("\t")[1] for ln in run(bb, "du", "-sc", "u").out.splitlines()] == [
        "u",
        "total",
    ]
    blocks = os.stat(bb.root / "u" / "f").st_blocks
    assert run(bb, "du", "u/f").out == f"{-(-blocks // 2)}\tu/f\n"
    r = run(bb, "du", "nope")
    assert (r.status, r.err) == (1, "du: cannot access 'nope': No such file or directory\n")


def test_df():
    with BuiltinBench(Budget(disk_mb=10, disk_files=100)) as b:
        b.write("x", b"a" * 5000)
        used = -(-b.ws.disk_usage()[0] // 1024)
        r = b.run(["df"])
        head, line = r.out.splitlines()
        assert head == "Filesystem     1K-blocks  Used Available Use% Mounted on"
        assert line.split() == ["corral", "10240", str(used), str(10240 - used), "1%", "/workspace"]
        r = b.run(["df", "-h", "."])
        assert r.out.splitlines()[0] == "Filesystem      Size  Used Avail Use% Mounted on"
        assert r.out.splitlines()[1].split()[1] == "10M"
        r = b.run(["df", "-i"])
        assert r.out.splitlines()[1].split() == ["corral", "100", "1", "99", "1%", "/workspace"]
        assert b.run(["df", "-P"]).out.startswith(
            "Filesystem     1024-blocks  Used Available Capacity"
        )
        r = b.run(["df", "nope"])
        assert (r.status, r.err) == (1, "df: nope: No such file or directory\n")

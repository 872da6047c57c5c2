"""Tests for the grep / egrep / fgrep and sed built-ins (corral.shell.builtins.grep_sed).

Every expected status / stdout / stderr in the tables below was produced by running the
real GNU tool (grep 3.8, sed 4.9) with LC_ALL=C on the same input, then hard-coded.
Recursive grep cases compare sorted lines: GNU walks directories in readdir order.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass, field

import pytest

import corral.shell.builtins.grep_sed  # noqa: F401  (registers grep/egrep/fgrep/sed)
from corral.budget import Budget
from corral.shell.builtins.grep_sed import RegexError, compile_posix, posix_to_python
from corral.shell.command import REGISTRY, CommandContext
from corral.shell.testing import BuiltinBench


@dataclass
class C:
    id: str
    argv: list[str]
    status: int
    stdin: bytes = b""
    files: dict[str, bytes] = field(default_factory=dict)
    out: bytes = b""
    err: bytes = b""
    err_prefix: bool = False  # only the first line of a long usage text is checked
    after: dict[str, bytes | None] = field(default_factory=dict)  # files after the run


G_T = {"t.txt": b"Hello World\nfoo bar\nfoobar baz\nabc-def\n"}
G_N = {"n.txt": "".join(f"{i}\n" for i in range(1, 21)).encode()}
G_M = {"a.txt": b"apple\nbanana\ncherry\n", "b.txt": b"avocado\nblueberry\n", "c.txt": b"kiwi\n"}
G_R = {
    "a.txt": b"hello\n",
    "src/b.py": b"hello\nworld\n",
    "src/c.txt": b"hello\n",
    "src/deep/d.txt": b"x hello\n",
    ".git/e": b"hello\n",
}
G_BIN = {"bin.dat": b"abc\0def\nabc\n"}
S_T = {"t.txt": b"hello world\nfoo bar\nbaz\n"}
S_F12 = {"f1": b"1\n2\n", "f2": b"3\n4\n"}

GREP_CASES = [
    C("basic", ["grep", "foo", "t.txt"], status=0, files=G_T, out=b"foo bar\nfoobar baz\n"),
    C("ignore_case", ["grep", "-i", "hello", "t.txt"], status=0, files=G_T, out=b"Hello World\n"),
    C("invert", ["grep", "-v", "o", "t.txt"], status=0, files=G_T, out=b"abc-def\n"),
    C(
        "line_numbers",
        ["grep", "-n", "o", "t.txt"],
        status=0,
        files=G_T,
        out=b"1:Hello World\n2:foo bar\n3:foobar baz\n",
    ),
    C("count", ["grep", "-c", "o", "t.txt"], status=0, files=G_T, out=b"3\n"),
    C(
        "count_multi",
        ["grep", "-c", "a", "a.txt", "b.txt", "c.txt"],
        status=0,
        files=G_M,
        out=b"a.txt:2\nb.txt:1\nc.txt:0\n",
    ),
    C("count_invert", ["grep", "-vc", "1", "n.txt"], status=0, files=G_N, out=b"9\n"),
    C(
        "files_with_matches",
        ["grep", "-l", "an", "a.txt", "b.txt", "c.txt"],
        status=0,
        files=G_M,
        out=b"a.txt\n",
    ),
    C(
        "files_without_match",
        ["grep", "-L", "an", "a.txt", "b.txt", "c.txt"],
        status=0,
        files=G_M,
        out=b"b.txt\nc.txt\n",
    ),
    C("files_without_match_none_listed", ["grep", "-L", "i", "c.txt"], status=0, files=G_M),
    C("only_matching", ["grep", "-o", "o\\+", "t.txt"], status=0, files=G_T, out=b"o\no\noo\noo\n"),
    C(
        "only_matching_line_numbers",
        ["grep", "-on", "[0-9]*1", "n.txt"],
        status=0,
        files=G_N,
        out=b"1:1\n10:1\n11:11\n12:1\n13:1\n14:1\n15:1\n16:1\n17:1\n18:1\n19:1\n",
    ),
    C(
        "byte_offset",
        ["grep", "-b", "ba", "t.txt"],
        status=0,
        files=G_T,
        out=b"12:foo bar\n20:foobar baz\n",
    ),
    C(
        "only_matching_byte_offset",
        ["grep", "-ob", "o", "t.txt"],
        status=0,
        files=G_T,
        out=b"4:o\n7:o\n13:o\n14:o\n21:o\n22:o\n",
    ),
    C("quiet_match", ["grep", "-q", "foo", "t.txt"], status=0, files=G_T),
    C("quiet_no_match", ["grep", "-q", "zzz", "t.txt"], status=1, files=G_T),
    C(
        "quiet_after_error",
        ["grep", "-q", "foo", "nope.txt", "t.txt"],
        status=0,
        files=G_T,
        err=b"grep: nope.txt: No such file or directory\n",
    ),
    C(
        "missing_file",
        ["grep", "foo", "nope.txt", "t.txt"],
        status=2,
        files=G_T,
        out=b"t.txt:foo bar\nt.txt:foobar baz\n",
        err=b"grep: nope.txt: No such file or directory\n",
    ),
    C("no_messages", ["grep", "-s", "foo", "nope.txt"], status=2, files=G_T),
    C("word", ["grep", "-w", "foo", "t.txt"], status=0, files=G_T, out=b"foo bar\n"),
    C(
        "word_only",
        ["grep", "-ow", "[a-z]*", "t.txt"],
        status=0,
        files=G_T,
        out=b"foo\nbar\nfoobar\nbaz\nabc\ndef\n",
    ),
    C("line_regexp", ["grep", "-x", "foo bar", "t.txt"], status=0, files=G_T, out=b"foo bar\n"),
    C("with_filename", ["grep", "-H", "kiwi", "c.txt"], status=0, files=G_M, out=b"c.txt:kiwi\n"),
    C("no_filename", ["grep", "-h", "an", "a.txt", "b.txt"], status=0, files=G_M, out=b"banana\n"),
    C(
        "multi_file_prefix",
        ["grep", "b", "a.txt", "b.txt"],
        status=0,
        files=G_M,
        out=b"a.txt:banana\nb.txt:blueberry\n",
    ),
    C(
        "regexp_repeat",
        ["grep", "-e", "kiwi", "-e", "apple", "a.txt", "c.txt"],
        status=0,
        files=G_M,
        out=b"a.txt:apple\nc.txt:kiwi\n",
    ),
    C(
        "pattern_newlines",
        ["grep", "kiwi\napple", "a.txt", "c.txt"],
        status=0,
        files=G_M,
        out=b"a.txt:apple\nc.txt:kiwi\n",
    ),
    C(
        "pattern_file",
        ["grep", "-f", "pats", "a.txt"],
        status=0,
        files={**G_M, **{"pats": b"ana\nerr\n"}},
        out=b"banana\ncherry\n",
    ),
    C(
        "pattern_file_empty",
        ["grep", "-c", "-f", "pats", "a.txt"],
        status=1,
        files={**G_M, **{"pats": b""}},
    ),
    C(
        "ere_leftmost_longest",
        ["grep", "-oE", "ab|abcd", "-"],
        status=0,
        stdin=b"abcd\n",
        out=b"abcd\n",
    ),
    C(
        "ere_interval_group",
        ["grep", "-oE", "(ab){2}[0-9]?", "-"],
        status=0,
        stdin=b"ababab1 ab\n",
        out=b"abab\n",
    ),
    C("fixed", ["grep", "-F", "a.b", "-"], status=0, stdin=b"a.b\naxb\n", out=b"a.b\n"),
    C(
        "bre_gnu_ops",
        ["grep", "-o", "a\\+b\\?\\|z", "-"],
        status=0,
        stdin=b"aab z ac\n",
        out=b"aab\nz\na\n",
    ),
    C(
        "bre_literal_ops",
        ["grep", "-o", "a+(b)|{1}?", "-"],
        status=0,
        stdin=b"xa+(b)|{1}?y\n",
        out=b"a+(b)|{1}?\n",
    ),
    C(
        "ere_escaped_literals",
        ["grep", "-oE", "\\(a\\)\\{\\|", "-"],
        status=0,
        stdin=b"(a){|\n",
        out=b"(a){|\n",
    ),
    C(
        "bre_interval",
        ["grep", "-o", "[0-9]\\{2,3\\}", "-"],
        status=0,
        stdin=b"1 12 1234\n",
        out=b"12\n123\n",
    ),
    C(
        "classes",
        ["grep", "-o", "[[:alpha:]][[:digit:]]\\+[[:space:]]*[[:punct:]]", "-"],
        status=0,
        stdin=b"x12 ; y3!\n",
        out=b"x12 ;\ny3!\n",
    ),
    C(
        "class_upper_ignore_case",
        ["grep", "-ic", "^[[:upper:]]", "t.txt"],
        status=0,
        files=G_T,
        out=b"4\n",
    ),
    C(
        "bracket_close_first",
        ["grep", "-o", "[]a]\\+", "-"],
        status=0,
        stdin=b"x]a]y\n",
        out=b"]a]\n",
    ),
    C(
        "bracket_negated_close",
        ["grep", "-o", "[^]a]\\+", "-"],
        status=0,
        stdin=b"]abc]\n",
        out=b"bc\n",
    ),
    C(
        "bracket_range_dash",
        ["grep", "-o", "[a-c-]\\+", "-"],
        status=0,
        stdin=b"x-ab-cd\n",
        out=b"-ab-c\n",
    ),
    C(
        "backref_bre",
        ["grep", "\\([a-z]\\)\\1", "-"],
        status=0,
        stdin=b"abc\nhello\n",
        out=b"hello\n",
    ),
    C(
        "backref_ere",
        ["grep", "-E", "^(.+)-\\1$", "-"],
        status=0,
        stdin=b"ab-ab\nab-ba\n",
        out=b"ab-ab\n",
    ),
    C(
        "word_boundaries",
        ["grep", "-o", "\\<b[a-z]*\\>", "t.txt"],
        status=0,
        files=G_T,
        out=b"bar\nbaz\n",
    ),
    C(
        "gnu_escapes",
        ["grep", "-o", "\\w\\+\\s\\S", "t.txt"],
        status=0,
        files=G_T,
        out=b"Hello W\nfoo b\nfoobar b\n",
    ),
    C(
        "bre_literal_anchor_middle",
        ["grep", "a^b\\|a$b", "-"],
        status=0,
        stdin=b"ab\nabcd\na-b\n-\nb\n]\n\\\n{1}\naa\na^b\na$b\n*a\na+\na?\nA B\nab c 12\n\n(x)\n",
        out=b"a^b\na$b\n",
    ),
    C(
        "context",
        ["grep", "-n", "-C1", "-e", "5", "-e", "9", "n.txt"],
        status=0,
        files=G_N,
        out=b"4-4\n5:5\n6-6\n--\n8-8\n9:9\n10-10\n--\n14-14\n15:15\n16-16\n--\n18-18\n19:19\n20-20\n",
    ),
    C(
        "after_context",
        ["grep", "-A1", "-e", "^3$", "-e", "^8$", "n.txt"],
        status=0,
        files=G_N,
        out=b"3\n4\n--\n8\n9\n",
    ),
    C(
        "before_context_adjacent",
        ["grep", "-B2", "-n", "1$", "n.txt"],
        status=0,
        files=G_N,
        out=b"1:1\n--\n9-9\n10-10\n11:11\n",
    ),
    C("context_num", ["grep", "-1", "^10$", "n.txt"], status=0, files=G_N, out=b"9\n10\n11\n"),
    C(
        "group_separator",
        ["grep", "-A0", "--group-separator=##", "-e", "^3$", "-e", "^8$", "n.txt"],
        status=0,
        files=G_N,
        out=b"3\n##\n8\n",
    ),
    C(
        "no_group_separator",
        ["grep", "-A0", "--no-group-separator", "-e", "^3$", "-e", "^8$", "n.txt"],
        status=0,
        files=G_N,
        out=b"3\n8\n",
    ),
    C(
        "context_across_files",
        ["grep", "-A1", "an", "a.txt", "b.txt"],
        status=0,
        files=G_M,
        out=b"a.txt:banana\na.txt-cherry\n",
    ),
    C("max_count", ["grep", "-m2", "1", "n.txt"], status=0, files=G_N, out=b"1\n10\n"),
    C(
        "max_count_trailing_context",
        ["grep", "-m1", "-nA2", "a", "-"],
        status=0,
        stdin=b"a1\na2\nb\na3\n",
        out=b"1:a1\n2-a2\n3-b\n",
    ),
    C("max_count_zero", ["grep", "-m0", "1", "n.txt"], status=1, files=G_N),
    C(
        "recursive_default_dot",
        ["grep", "-r", "world"],
        status=0,
        files=G_R,
        out=b"src/b.py:world\n",
    ),
    C(
        "recursive_dir",
        ["grep", "-rn", "x", "src"],
        status=0,
        files=G_R,
        out=b"src/deep/d.txt:1:x hello\n",
    ),
    C(
        "recursive_include",
        ["grep", "-r", "--include=*.py", "hello", "."],
        status=0,
        files=G_R,
        out=b"./src/b.py:hello\n",
    ),
    C(
        "recursive_exclude",
        ["grep", "-rl", "--exclude=*.txt", "hello", "src"],
        status=0,
        files=G_R,
        out=b"src/b.py\n",
    ),
    C(
        "recursive_exclude_dir",
        ["grep", "-rc", "--exclude-dir=deep", "hello", "src"],
        status=0,
        files=G_R,
        out=b"src/b.py:1\nsrc/c.txt:1\n",
    ),
    C(
        "recursive_single_file",
        ["grep", "-r", "hello", "a.txt"],
        status=0,
        files=G_R,
        out=b"hello\n",
    ),
    C(
        "directory_without_r",
        ["grep", "hello", "src", "a.txt"],
        status=2,
        files=G_R,
        out=b"a.txt:hello\n",
        err=b"grep: src: Is a directory\n",
    ),
    C(
        "directories_skip",
        ["grep", "-d", "skip", "hello", "src", "a.txt"],
        status=0,
        files=G_R,
        out=b"a.txt:hello\n",
    ),
    C(
        "binary_matches",
        ["grep", "abc", "bin.dat"],
        status=0,
        files=G_BIN,
        err=b"grep: bin.dat: binary file matches\n",
    ),
    C("binary_text", ["grep", "-a", "def", "bin.dat"], status=0, files=G_BIN, out=b"abc\x00def\n"),
    C("binary_without_match", ["grep", "-I", "abc", "bin.dat"], status=1, files=G_BIN),
    C("binary_count", ["grep", "-c", "abc", "bin.dat"], status=0, files=G_BIN, out=b"2\n"),
    C(
        "color_never",
        ["grep", "--color=never", "foo", "t.txt"],
        status=0,
        files=G_T,
        out=b"foo bar\nfoobar baz\n",
    ),
    C(
        "egrep",
        ["egrep", "foo|abc", "t.txt"],
        status=0,
        files=G_T,
        out=b"foo bar\nfoobar baz\nabc-def\n",
    ),
    C("fgrep", ["fgrep", "-x", "a.b", "-"], status=0, stdin=b"a.b\naxb\n", out=b"a.b\n"),
    C(
        "long_options",
        ["grep", "--ignore-case", "--count", "--regexp=WORLD", "t.txt"],
        status=0,
        files=G_T,
        out=b"1\n",
    ),
    C(
        "long_option_abbrev",
        ["grep", "--files-with-m", "an", "a.txt", "b.txt"],
        status=0,
        files=G_M,
        out=b"a.txt\n",
    ),
    C(
        "long_option_ambiguous",
        ["grep", "--no", "x", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: option '--no' is ambiguous; possibilities: '--no-ignore-case' '--no-filename' '--no-group-separator' '--no-messages'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
    ),
    C(
        "options_after_operands",
        ["grep", "foo", "t.txt", "-n"],
        status=0,
        files=G_T,
        out=b"2:foo bar\n3:foobar baz\n",
    ),
    C(
        "double_dash",
        ["grep", "-n", "--", "-def", "t.txt"],
        status=0,
        files=G_T,
        out=b"4:abc-def\n",
    ),
    C(
        "stdin_dash_and_file",
        ["grep", "a", "-", "c.txt"],
        status=0,
        stdin=b"xa\nb\n",
        files=G_M,
        out=b"(standard input):xa\n",
    ),
    C(
        "label",
        ["grep", "--label=input", "-H", "b", "-"],
        status=0,
        stdin=b"ab\n",
        out=b"input:ab\n",
    ),
    C(
        "null_after_name",
        ["grep", "-lZ", "an", "a.txt", "b.txt"],
        status=0,
        files=G_M,
        out=b"a.txt\x00",
    ),
    C(
        "null_data",
        ["grep", "-z", "b", "-"],
        status=0,
        stdin=b"abc\x00xyz\x00b\n",
        out=b"abc\x00b\n\x00",
    ),
    C("empty_pattern", ["grep", "-c", "", "t.txt"], status=0, files=G_T, out=b"4\n"),
    C(
        "empty_line_regexp",
        ["grep", "-n", "-x", "-e", "", "-"],
        status=0,
        stdin=b"a\n\nb\n",
        out=b"2:\n",
    ),
    C("no_trailing_newline", ["grep", "b", "-"], status=0, stdin=b"a\nb", out=b"b\n"),
    C(
        "perl_digits",
        ["grep", "-oP", "\\d+", "-"],
        status=0,
        stdin=b"a1b22c333\n",
        out=b"1\n22\n333\n",
    ),
    C(
        "perl_keep_out",
        ["grep", "-oP", "id=\\K\\w+", "-"],
        status=0,
        stdin=b"x id=abc y id=de\n",
        out=b"abc\nde\n",
    ),
    C(
        "ere_leading_star_warning",
        ["grep", "-E", "*a", "-"],
        status=0,
        stdin=b"a\n",
        out=b"a\n",
        err=b"grep: warning: * at start of expression\n",
    ),
    C(
        "invalid_option",
        ["grep", "-Y", "x"],
        status=2,
        err=b"grep: invalid option -- 'Y'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
    ),
    C(
        "missing_pattern",
        ["grep"],
        status=2,
        err=b"Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
    ),
    C(
        "bad_context_length",
        ["grep", "-A", "x", "y"],
        status=2,
        err=b"grep: x: invalid context length argument\n",
    ),
    C("bad_max_count", ["grep", "-m", "x", "y"], status=2, err=b"grep: invalid max count\n"),
    C(
        "conflicting_matchers",
        ["grep", "-E", "-F", "x"],
        status=2,
        err=b"grep: conflicting matchers specified\n",
    ),
    C(
        "unmatched_bracket",
        ["grep", "a[", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Invalid regular expression\n",
    ),
    C(
        "unmatched_paren_ere",
        ["grep", "-E", "(a", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Unmatched ( or \\(\n",
    ),
    C(
        "unmatched_brace_bre",
        ["grep", "a\\{1", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Unmatched \\{\n",
    ),
    C(
        "invalid_backref",
        ["grep", "\\(a\\)\\2", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Invalid back reference\n",
    ),
    C(
        "trailing_backslash",
        ["grep", "a\\", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Trailing backslash\n",
    ),
    C(
        "bad_class_syntax",
        ["grep", "[:space:]", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: character class syntax is [[:space:]], not [:space:]\n",
    ),
    C(
        "bad_class_name",
        ["grep", "[[:foo:]]", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Invalid character class name\n",
    ),
    C(
        "bad_range",
        ["grep", "[z-a]", "t.txt"],
        status=2,
        files=G_T,
        err=b"grep: Invalid range end\n",
    ),
]

SED_CASES = [
    C(
        "s_basic",
        ["sed", "s/o/0/", "t.txt"],
        status=0,
        files=S_T,
        out=b"hell0 world\nf0o bar\nbaz\n",
    ),
    C(
        "s_global",
        ["sed", "s/o/0/g", "t.txt"],
        status=0,
        files=S_T,
        out=b"hell0 w0rld\nf00 bar\nbaz\n",
    ),
    C(
        "s_nth",
        ["sed", "s/o/0/2", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello w0rld\nfo0 bar\nbaz\n",
    ),
    C("s_nth_global", ["sed", "s/a/b/2g"], status=0, stdin=b"aaaa\n", out=b"abbb\n"),
    C(
        "s_print_quiet",
        ["sed", "-n", "s/foo/FOO/p", "t.txt"],
        status=0,
        files=S_T,
        out=b"FOO bar\n",
    ),
    C(
        "s_ignore_case",
        ["sed", "s/HELLO/hi/I;s/WORLD/all/i", "t.txt"],
        status=0,
        files=S_T,
        out=b"hi all\nfoo bar\nbaz\n",
    ),
    C(
        "s_delimiter",
        ["sed", "s|/usr/bin|/opt|", "-"],
        status=0,
        stdin=b"/usr/bin/env\n",
        out=b"/opt/env\n",
    ),
    C(
        "s_escaped_delimiter",
        ["sed", "s/\\/usr\\//X/", "-"],
        status=0,
        stdin=b"/usr/bin\n",
        out=b"Xbin\n",
    ),
    C(
        "s_delimiter_in_bracket",
        ["sed", "s/[/]/|/g", "-"],
        status=0,
        stdin=b"a/b/c\n",
        out=b"a|b|c\n",
    ),
    C(
        "s_ampersand_groups",
        ["sed", "s/\\(hello\\) \\(world\\)/\\2 \\1 [&] \\&/", "t.txt"],
        status=0,
        files=S_T,
        out=b"world hello [hello world] &\nfoo bar\nbaz\n",
    ),
    C(
        "s_ere_groups",
        ["sed", "-E", "s/([a-z]+) ([a-z]+)/\\2-\\1/", "t.txt"],
        status=0,
        files=S_T,
        out=b"world-hello\nbar-foo\nbaz\n",
    ),
    C(
        "s_newline_replacement",
        ["sed", "s/ /\\n/", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello\nworld\nfoo\nbar\nbaz\n",
    ),
    C(
        "s_newline_regex",
        ["sed", "N;s/\\n/+/", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world+foo bar\nbaz\n",
    ),
    C(
        "s_escapes",
        ["sed", "s/x/\\t|\\x41|\\o101|\\d65/"],
        status=0,
        stdin=b"x\n",
        out=b"\t|A|A|A\n",
    ),
    C(
        "s_case_conversion",
        ["sed", "s/\\w\\+/\\u&/g;s/B\\(..\\)/\\U&\\E!\\L-X/"],
        status=0,
        stdin=b"hello big world\n",
        out=b"Hello BIG!-x World\n",
    ),
    C("s_empty_matches", ["sed", "s/a*/x/g"], status=0, stdin=b"baaac\n", out=b"xbxcx\n"),
    C(
        "s_empty_regex_reuse",
        ["sed", "/o/s//0/g", "t.txt"],
        status=0,
        files=S_T,
        out=b"hell0 w0rld\nf00 bar\nbaz\n",
    ),
    C("s_leftmost_longest", ["sed", "-E", "s/ab|abcd/X/"], status=0, stdin=b"abcd\n", out=b"X\n"),
    C(
        "s_multiline_flag",
        ["sed", "N;s/^/>/Mg", "t.txt"],
        status=0,
        files=S_T,
        out=b">hello world\n>foo bar\nbaz\n",
    ),
    C(
        "s_write_file",
        ["sed", "-n", "s/o/0/w out.txt", "t.txt"],
        status=0,
        files=S_T,
        after={"out.txt": b"hell0 world\nf0o bar\n"},
    ),
    C(
        "s_write_stdout",
        ["sed", "s/foo/X/w /dev/stdout", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nX bar\nX bar\nbaz\n",
    ),
    C(
        "ere_interval",
        ["sed", "-r", "s/a{2}/X/;s/(b|c)+/Y/"],
        status=0,
        stdin=b"aaabcbc\n",
        out=b"XaY\n",
    ),
    C(
        "bre_interval_plus",
        ["sed", "s/a\\{2\\}/X/;s/b\\+/Y/"],
        status=0,
        stdin=b"aaabbb\n",
        out=b"XaY\n",
    ),
    C("delete", ["sed", "2d", "t.txt"], status=0, files=S_T, out=b"hello world\nbaz\n"),
    C("print_quiet", ["sed", "-n", "2p", "t.txt"], status=0, files=S_T, out=b"foo bar\n"),
    C(
        "quit_exit_code",
        ["sed", "2q5", "t.txt"],
        status=5,
        files=S_T,
        out=b"hello world\nfoo bar\n",
    ),
    C("quit_silent", ["sed", "2Q", "t.txt"], status=0, files=S_T, out=b"hello world\n"),
    C("next", ["sed", "-n", "n;p"], status=0, stdin=b"1\n2\n3\n4\n5\n6\n7\n", out=b"2\n4\n6\n"),
    C(
        "next_line_join",
        ["sed", "$!N;s/\\n/ /"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"1 2\n3 4\n5 6\n7\n",
    ),
    C(
        "N_on_last_line_prints",
        ["sed", "N;N;s/\\n/+/g"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n",
        out=b"1+2+3\n4\n5\n",
    ),
    C("P_D_window", ["sed", "$!N;P;D"], status=0, stdin=b"a\na\nb\nb\n", out=b"a\na\nb\nb\n"),
    C("hold_reverse", ["sed", "1!G;h;$!d"], status=0, stdin=b"a\nb\nc\n", out=b"c\nb\na\n"),
    C(
        "hold_join",
        ["sed", "-n", "H;${x;s/\\n/,/g;s/^,//;p}"],
        status=0,
        stdin=b"a\nb\nc\n",
        out=b"a,b,c\n",
    ),
    C("exchange", ["sed", "x", "-"], status=0, stdin=b"a\nb\n", out=b"\na\n"),
    C("line_number", ["sed", "-n", "$=", "t.txt"], status=0, files=S_T, out=b"3\n"),
    C(
        "line_number_each",
        ["sed", "=", "t.txt"],
        status=0,
        files=S_T,
        out=b"1\nhello world\n2\nfoo bar\n3\nbaz\n",
    ),
    C(
        "list",
        ["sed", "-n", "l"],
        status=0,
        stdin=b"a\tb\\c\x01\xc3\xa9\n",
        out=b"a\\tb\\\\c\\001\\303\\251$\n",
    ),
    C(
        "list_wrap",
        ["sed", "-n", "l 10"],
        status=0,
        stdin=b"0123456789abcdefghij\n",
        out=b"012345678\\\n9abcdefgh\\\nij$\n",
    ),
    C(
        "list_line_length_option",
        ["sed", "-l", "8", "-n", "l"],
        status=0,
        stdin=b"0123456789abcdefghij\n",
        out=b"0123456\\\n789abcd\\\nefghij$\n",
    ),
    C("transliterate", ["sed", "y/abc/xyz/"], status=0, stdin=b"aabbcc\n", out=b"xxyyzz\n"),
    C(
        "transliterate_escapes",
        ["sed", "y/a\\/b/\\n|\\\\/"],
        status=0,
        stdin=b"a/b\n",
        out=b"\n|\\\n",
    ),
    C(
        "append_one_liner",
        ["sed", "2a   new line", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nfoo bar\nnew line\nbaz\n",
    ),
    C(
        "insert_one_liner",
        ["sed", "1i\\top", "t.txt"],
        status=0,
        files=S_T,
        out=b"top\nhello world\nfoo bar\nbaz\n",
    ),
    C(
        "change_classic",
        ["sed", "2c\\\nchanged", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nchanged\nbaz\n",
    ),
    C(
        "change_range",
        ["sed", "2,4c\\X"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"1\nX\n5\n6\n7\n",
    ),
    C(
        "append_continuation",
        ["sed", "$a\\\nline1\\\nline2", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nfoo bar\nbaz\nline1\nline2\n",
    ),
    C(
        "append_split_expressions",
        ["sed", "-e", "1a\\", "-e", "added", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nadded\nfoo bar\nbaz\n",
    ),
    C(
        "append_text_escapes",
        ["sed", "1a foo\\tbar\\\\baz"],
        status=0,
        stdin=b"x\n",
        out=b"x\nfoo\tbar\\baz\n",
    ),
    C(
        "append_adds_missing_newline",
        ["sed", "$a\\"],
        status=0,
        stdin=b"no newline",
        out=b"no newline\n",
    ),
    C("missing_newline_kept", ["sed", "s/b/B/"], status=0, stdin=b"a\nb", out=b"a\nB"),
    C("missing_newline_p", ["sed", "p"], status=0, stdin=b"a", out=b"a\na"),
    C(
        "block_and_negation",
        ["sed", "-n", "/foo/!{p;p}", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\nhello world\nbaz\nbaz\n",
    ),
    C(
        "block_newlines",
        ["sed", "-n", "2{\np\ns/o/0/p\n}", "t.txt"],
        status=0,
        files=S_T,
        out=b"foo bar\nf0o bar\n",
    ),
    C(
        "label_loop_join",
        ["sed", ":a;N;$!ba;s/\\n/,/g"],
        status=0,
        stdin=b"a\nb\nc\n",
        out=b"a,b,c\n",
    ),
    C(
        "label_t",
        ["sed", "-e", ":a", "-e", "s/^\\([0-9]\\{1,3\\}\\)\\([0-9]\\{3\\}\\)/\\1,\\2/;ta"],
        status=0,
        stdin=b"1234567\n",
        out=b"123,4567\n",
    ),
    C("label_T", ["sed", "s/a/A/;T;s/$/!/"], status=0, stdin=b"a\nb\n", out=b"A!\nb\n"),
    C(
        "t_reset_by_next_line",
        ["sed", "s/a/X/;N;tl;s/^/NO/;b;:l;s/^/YES/"],
        status=0,
        stdin=b"a\nb\n",
        out=b"NOX\nb\n",
    ),
    C("addr_last", ["sed", "-n", "$p", "t.txt"], status=0, files=S_T, out=b"baz\n"),
    C(
        "addr_regex_range",
        ["sed", "-n", "/2/,/4/p"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"2\n3\n4\n",
    ),
    C(
        "addr_custom_delim",
        ["sed", "-n", "\\%o w%p", "t.txt"],
        status=0,
        files=S_T,
        out=b"hello world\n",
    ),
    C(
        "addr_step",
        ["sed", "-n", "0~3p;1~3="],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"1\n3\n4\n6\n7\n",
    ),
    C(
        "addr_plus",
        ["sed", "-n", "/3/,+2p"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"3\n4\n5\n",
    ),
    C(
        "addr_multiple_of",
        ["sed", "-n", "2,~4p"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"2\n3\n4\n",
    ),
    C("addr_zero_regex", ["sed", "0,/1/d"], status=0, stdin=b"1\n2\n1\n", out=b"2\n1\n"),
    C(
        "addr_backwards_range",
        ["sed", "-n", "5,2p"],
        status=0,
        stdin=b"1\n2\n3\n4\n5\n6\n7\n",
        out=b"5\n",
    ),
    C(
        "addr_regex_ignore_case",
        ["sed", "/HELLO/Id", "t.txt"],
        status=0,
        files=S_T,
        out=b"foo bar\nbaz\n",
    ),
    C(
        "multiple_files_one_stream",
        ["sed", "-n", "$p;1p", "f1", "f2"],
        status=0,
        files=S_F12,
        out=b"1\n4\n",
    ),
    C(
        "separate_files",
        ["sed", "-s", "-n", "$p;1p", "f1", "f2"],
        status=0,
        files=S_F12,
        out=b"1\n2\n3\n4\n",
    ),
    C(
        "filename_command",
        ["sed", "-n", "F;=", "f1", "-"],
        status=0,
        stdin=b"x\n",
        files=S_F12,
        out=b"f1\n1\nf1\n2\n-\n3\n",
    ),
    C(
        "in_place",
        ["sed", "-i", "s/1/one/", "f1", "f2"],
        status=0,
        files=S_F12,
        after={"f1": b"one\n2\n", "f2": b"3\n4\n"},
    ),
    C(
        "in_place_backup",
        ["sed", "-i.bak", "1d", "f1"],
        status=0,
        files=S_F12,
        after={"f1": b"2\n", "f1.bak": b"1\n2\n"},
    ),
    C(
        "in_place_separate_last",
        ["sed", "-i", "$s/$/!/", "f1", "f2"],
        status=0,
        files=S_F12,
        after={"f1": b"1\n2!\n", "f2": b"3\n4!\n"},
    ),
    C(
        "in_place_quit_truncates",
        ["sed", "-i", "1q", "f1"],
        status=0,
        files=S_F12,
        after={"f1": b"1\n"},
    ),
    C(
        "in_place_suffix_gotcha",
        ["sed", "-ie", "s/1/X/", "f1"],
        status=0,
        files=S_F12,
        after={"f1": b"X\n2\n", "f1e": b"1\n2\n"},
    ),
    C(
        "script_file",
        ["sed", "-f", "script.sed", "t.txt"],
        status=0,
        files={**S_T, **{"script.sed": b"# comment\ns/o/0/g\n/baz/d\n"}},
        out=b"hell0 w0rld\nf00 bar\n",
    ),
    C(
        "script_file_hash_n",
        ["sed", "-f", "script.sed", "t.txt"],
        status=0,
        files={**S_T, **{"script.sed": b"#n\n2p\n"}},
        out=b"foo bar\n",
    ),
    C("null_data", ["sed", "-z", "s/\\n/,/g"], status=0, stdin=b"a\nb\nc\n", out=b"a,b,c,"),
    C("read_file", ["sed", "1r f2", "f1"], status=0, files=S_F12, out=b"1\n3\n4\n2\n"),
    C("read_line", ["sed", "R f2", "f1"], status=0, files=S_F12, out=b"1\n3\n2\n4\n"),
    C(
        "write_command",
        ["sed", "-n", "/o/w out.txt", "t.txt"],
        status=0,
        files=S_T,
        after={"out.txt": b"hello world\nfoo bar\n"},
    ),
    C("zap", ["sed", "2z", "t.txt"], status=0, files=S_T, out=b"hello world\n\nbaz\n"),
    C(
        "err_unterminated_s",
        ["sed", "s/a/b"],
        status=1,
        err=b"sed: -e expression #1, char 5: unterminated `s' command\n",
    ),
    C(
        "err_unterminated_s_second_expr",
        ["sed", "-e", "p", "-e", "s/a/"],
        status=1,
        err=b"sed: -e expression #2, char 4: unterminated `s' command\n",
    ),
    C(
        "err_unknown_s_option",
        ["sed", "s/a/b/x"],
        status=1,
        err=b"sed: -e expression #1, char 7: unknown option to `s'\n",
    ),
    C(
        "err_unknown_command",
        ["sed", "k"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 1: unknown command: `k'\n",
    ),
    C(
        "err_unmatched_brace",
        ["sed", "{p"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 0: unmatched `{'\n",
    ),
    C(
        "err_unexpected_brace",
        ["sed", "p}"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 2: unexpected `}'\n",
    ),
    C(
        "err_missing_command",
        ["sed", "1"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 1: missing command\n",
    ),
    C(
        "err_extra_characters",
        ["sed", "pq"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 2: extra characters after command\n",
    ),
    C(
        "err_one_address",
        ["sed", "1,2q"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 4: command only uses one address\n",
    ),
    C(
        "err_y_lengths",
        ["sed", "y/ab/x/"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 7: strings for `y' command are different lengths\n",
    ),
    C(
        "err_label",
        ["sed", "bfoo"],
        status=4,
        stdin=b"a\n",
        err=b"sed: can't find label for jump to `foo'\n",
    ),
    C(
        "err_invalid_reference",
        ["sed", "s/a/\\1/"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 7: invalid reference \\1 on `s' command's RHS\n",
    ),
    C(
        "err_regex",
        ["sed", "s/\\(a/x/"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 8: Unmatched ( or \\(\n",
    ),
    C(
        "err_script_file_line",
        ["sed", "-f", "script.sed"],
        status=1,
        files={"script.sed": b"p\ns/a/\n"},
        err=b"sed: file script.sed line 2: unterminated `s' command\n",
    ),
    C(
        "err_no_previous_regex",
        ["sed", "//p"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 0: no previous regular expression\n",
    ),
    C(
        "err_expected_backslash",
        ["sed", "a"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 1: expected \\ after `a', `c' or `i'\n",
    ),
    C(
        "err_address_zero",
        ["sed", "0p"],
        status=1,
        stdin=b"a\n",
        err=b"sed: -e expression #1, char 2: invalid usage of line address 0\n",
    ),
    C(
        "err_usage",
        ["sed"],
        status=1,
        err=b"Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n",
        err_prefix=True,
    ),
    C(
        "err_invalid_option",
        ["sed", "-k", "p"],
        status=1,
        err=b"sed: invalid option -- 'k'\n",
        err_prefix=True,
    ),
    C(
        "err_missing_input",
        ["sed", "p", "nope.txt", "t.txt"],
        status=2,
        files=S_T,
        out=b"hello world\nhello world\nfoo bar\nfoo bar\nbaz\nbaz\n",
        err=b"sed: can't read nope.txt: No such file or directory\n",
    ),
    C("err_in_place_no_files", ["sed", "-i", "p"], status=4, err=b"sed: no input files\n"),
    C(
        "err_w_bad_dir",
        ["sed", "w nodir/x"],
        status=4,
        stdin=b"a\n",
        err=b"sed: couldn't open file nodir/x: No such file or directory\n",
    ),
    C(
        "err_ere_leading_star",
        ["sed", "-E", "s/*x/y/"],
        status=1,
        stdin=b"x\n",
        err=b"sed: -e expression #1, char 7: Invalid preceding regular expression\n",
    ),
]


def _run_case(c: C) -> None:
    with BuiltinBench() as bb:
        for name, data in c.files.items():
            bb.write(name, data)
        r = bb.run(c.argv, c.stdin)
        after = {}
        for name in c.after:
            try:
                after[name] = bb.read(name)
            except FileNotFoundError:
                after[name] = None
    assert r.status == c.status, (r.status, r.stdout, r.stderr)
    if c.id.startswith("recursive"):
        assert sorted(r.stdout.split(b"\n")) == sorted(c.out.split(b"\n"))
    else:
        assert r.stdout == c.out
    if c.err_prefix:
        assert r.stderr.startswith(c.err)
    else:
        assert r.stderr == c.err
    assert after == c.after


@pytest.mark.parametrize("case", GREP_CASES, ids=[c.id for c in GREP_CASES])
def test_grep(case: C) -> None:
    _run_case(case)


@pytest.mark.parametrize("case", SED_CASES, ids=[c.id for c in SED_CASES])
def test_sed(case: C) -> None:
    _run_case(case)


# -- the regex translation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "extended", "text", "match"),
    [
        ("a\\{2\\}", False, "xaay", "aa"),
        ("a{2}", False, "a{2}", "a{2}"),
        ("a{2}", True, "xaay", "aa"),
        ("\\(ab\\)*c", False, "ababc", "ababc"),
        ("(ab)*c", False, "(ab)c", "(ab)c"),
        ("a|b", False, "a|b", "a|b"),
        ("a\\|b", False, "b", "b"),
        ("[[:digit:]]\\+", False, "x123y", "123"),
        ("[]a-]+", True, "x]-a]y", "]-a]"),
        ("[^[:space:]]+", True, "  abc ", "abc"),
        ("\\<w", False, "aw w", "w"),
        ("x\\>", False, "xa x", "x"),
        ("^*a", False, "*a", "*a"),
        ("a**", True, "aaa", "aaa"),
        ("\\(a\\)\\1", False, "xaay", "aa"),
        ("a.b", False, "a\nb", "a\nb"),
    ],
)
def test_posix_to_python(pattern: str, extended: bool, text: str, match: str) -> None:
    m = compile_posix(pattern, extended).search(text)
    assert m is not None and m.group(0) == match


def test_posix_to_python_is_plain_python() -> None:
    assert posix_to_python("a\\+b", False) == "a+b"
    assert posix_to_python("(a|b)$", True) == "(a|b)\\Z"
    assert re.fullmatch(posix_to_python("x$", True, multiline=True), "x")


@pytest.mark.parametrize(
    ("pattern", "extended", "message"),
    [
        ("\\(a", False, "Unmatched ( or \\("),
        ("a\\)", False, "Unmatched ) or \\)"),
        ("[a", True, "Unmatched [, [^, [:, [., or [="),
        ("\\(a\\)\\2", False, "Invalid back reference"),
        ("a{2,1}", True, "Invalid content of \\{\\}"),
        ("[[:nope:]]", False, "Invalid character class name"),
        ("a\\", True, "Trailing backslash"),
    ],
)
def test_posix_to_python_errors(pattern: str, extended: bool, message: str) -> None:
    with pytest.raises(RegexError, match=re.escape(message)):
        posix_to_python(pattern, extended)


# -- streaming, size, time ------------------------------------------------------------


class _Endless(io.RawIOBase):
    """An endless `yes` on stdin: the command must stop reading by itself."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = len(b) - len(b) % 2
        b[:n] = b"y\n" * (n // 2)
        self.served += n
        return n


@pytest.mark.parametrize(
    ("argv", "out"),
    [
        (["grep", "-m1", "y"], b"y\n"),
        (["grep", "-q", "y"], b""),
        (["grep", "-l", "y"], b"(standard input)\n"),
        (["sed", "3q"], b"y\ny\ny\n"),
        (["sed", "-n", "2{p;q}"], b"y\n"),
    ],
)
def test_streams_endless_input(argv: list[str], out: bytes) -> None:
    with BuiltinBench() as bb:
        src = _Endless()
        stdout = io.BytesIO()
        ctx = CommandContext(
            argv=argv,
            stdin=io.BufferedReader(src),
            stdout=stdout,
            stderr=io.BytesIO(),
            env={},
            cwd="/workspace",
            ws=bb.ws,
            deadline=time.monotonic() + 20,
        )
        assert REGISTRY[argv[0]](ctx) == 0
        assert stdout.getvalue() == out
        assert src.served < 1 << 20


def test_huge_input() -> None:
    data = b"".join(b"line %d foo%d\n" % (i, i % 7) for i in range(200_000))
    with BuiltinBench() as bb:
        r = bb.run(["grep", "-c", "foo3$"], data)
        assert (r.status, r.stdout) == (0, b"28571\n")
        r = bb.run(["sed", "-n", "$="], data)
        assert (r.status, r.stdout) == (0, b"200000\n")
        r = bb.run(["sed", "s/foo/bar/"], data)
        assert r.stdout == data.replace(b"foo", b"bar")


def test_cancelled_when_time_is_up() -> None:
    with BuiltinBench() as bb:
        assert bb.run(["sed", ":a;ba"], b"x\n", timeout=0.3).status == 124
        # a deadline already past when grep starts: how fast the machine is cannot matter
        big = b"nomatch\n" * 2_000_000
        assert bb.run(["grep", "zzz"], big, timeout=1e-9).status == 124


def test_only_matching_empty_matches_terminate() -> None:
    with BuiltinBench() as bb:
        r = bb.run(["grep", "-o", "x*"], b"a  b\n")
        assert (r.status, r.stdout) == (0, b"")  # GNU: the line matches, nothing printed
        r = bb.run(["sed", "s/x*/-/g"], b"abc\n")
        assert r.stdout == b"-a-b-c-\n"


# -- hostile input --------------------------------------------------------------------


def test_binary_data_does_not_crash() -> None:
    blob = bytes(range(256)) * 64 + b"\xff\xfe\n\xc3\x28 abc \x00\n"
    with BuiltinBench() as bb:
        bb.write("blob", blob)
        r = bb.run(["grep", "abc", "blob"])
        assert (r.status, r.stdout, r.stderr) == (0, b"", b"grep: blob: binary file matches\n")
        r = bb.run(["grep", "-a", "-c", "abc", "blob"])
        assert (r.status, r.stdout) == (0, b"65\n")  # bytes(range(256)) holds "abc" too
        r = bb.run(["grep", "-ao", "[^[:print:]]\\+abc", "blob"])
        assert r.status == 1  # a space precedes abc
        # sed passes every byte through untouched, including invalid UTF-8
        r = bb.run(["sed", "s/abc/ABC/", "blob"])
        assert r.stdout == blob.replace(b"abc", b"ABC")
        r = bb.run(["sed", "-n", "l"], b"\xff\xc3\x28\n")
        assert r.stdout == b"\\377\\303($\n"


def test_path_escapes_are_refused() -> None:
    with BuiltinBench() as bb:
        bb.write("d/a.txt", b"root\n")
        r = bb.run(["grep", "root", "../../etc/passwd", "d/a.txt"])
        assert r.status == 2
        assert r.stdout == b"d/a.txt:root\n"
        assert r.stderr == b"grep: ../../etc/passwd: Permission denied (outside /workspace)\n"
        r = bb.run(["grep", "-r", "root", "/etc"])
        assert r.status == 2
        assert r.stderr == b"grep: /etc: Permission denied (outside /workspace)\n"
        r = bb.run(["grep", "-f", "/etc/passwd", "d/a.txt"])
        assert r.status == 2
        r = bb.run(["sed", "p", "../x"])
        assert r.status == 2
        assert r.stderr == b"sed: can't read ../x: Permission denied (outside /workspace)\n"
        r = bb.run(["sed", "-i", "s/r/R/", "/etc/passwd"])
        assert r.status == 2
        r = bb.run(["sed", "w /etc/x", "d/a.txt"])
        assert r.status == 4
        assert r.stderr == (
            b"sed: couldn't open file /etc/x: Permission denied (outside /workspace)\n"
        )
        r = bb.run(["sed", "-f", "../script", "d/a.txt"])
        assert r.status == 4
        # r of an unreadable file reads as empty, as in GNU
        r = bb.run(["sed", "r /etc/passwd", "d/a.txt"])
        assert (r.status, r.stdout) == (0, b"root\n")
        # a backup suffix pointing outside fails before the file is touched
        r = bb.run(["sed", "-i../../*", "s/r/R/", "d/a.txt"])
        assert r.status == 4
        assert bb.read("d/a.txt") == b"root\n"


def test_symlinks_in_recursion() -> None:
    with BuiltinBench() as bb:
        bb.write("d/a.txt", b"root\n")
        os.symlink("/etc/passwd", bb.root / "d" / "evil")
        os.symlink("/etc", bb.root / "d" / "evildir")
        os.symlink("a.txt", bb.root / "d" / "good")
        r = bb.run(["grep", "-r", "root", "d"])  # -r skips symlinks met on the way
        assert (r.status, r.stdout, r.stderr) == (0, b"d/a.txt:root\n", b"")
        r = bb.run(["grep", "-R", "root", "d"])  # -R follows them, inside /workspace only
        assert r.status == 2
        assert r.stdout == b"d/a.txt:root\nd/good:root\n"
        assert b"d/evil: Permission denied (outside /workspace)" in r.stderr
        assert b"d/evildir: Permission denied (outside /workspace)" in r.stderr
        r = bb.run(["grep", "root", "d/evil"])
        assert r.status == 2


def test_dev_null_and_stdin_names() -> None:
    with BuiltinBench() as bb:
        bb.write("a", b"x\n")
        # the classic way to force a file name prefix
        assert bb.run(["grep", "x", "a", "/dev/null"]).stdout == b"a:x\n"
        assert bb.run(["grep", "-v", "-f", "/dev/null", "a"]).stdout == b"x\n"
        assert bb.run(["sed", "-f", "/dev/stdin", "a"], b"s/x/y/\n").stdout == b"y\n"
        assert bb.run(["sed", "w /dev/null", "a"]).stdout == b"x\n"


def test_in_place_keeps_mode_and_follows_links() -> None:
    with BuiltinBench() as bb:
        host = bb.write("d/run.sh", b"echo hi\n")
        os.chmod(host, 0o755)
        os.symlink("run.sh", bb.root / "d" / "link")
        r = bb.run(["sed", "-i.orig", "s/hi/ho/", "d/link"])
        assert r.status == 0
        assert bb.read("d/run.sh") == b"echo ho\n"
        assert os.stat(host).st_mode & 0o777 == 0o755
        assert os.path.islink(bb.root / "d" / "link")
        assert bb.read("d/link.orig") == b"echo hi\n"
        assert sorted(os.listdir(bb.root / "d")) == ["link", "link.orig", "run.sh"]


def test_in_place_out_of_disk_keeps_the_original() -> None:
    with BuiltinBench(Budget(disk_mb=0.05)) as bb:
        bb.write("a.txt", b"x" * 20000 + b"\n")
        r = bb.run(["sed", "-i", "p", "a.txt"])
        assert r.status == 4
        assert r.stderr.startswith(b"sed: couldn't edit a.txt: No space left on device")
        assert bb.read("a.txt") == b"x" * 20000 + b"\n"
        assert os.listdir(bb.root) == ["a.txt"]

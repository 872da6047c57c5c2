"""Tests for the awk / gawk built-in.

Every expected output below was checked against GNU awk 5.2.1 on this machine
(``LC_ALL=C``, stderr with ``gawk:`` read as ``awk:``); the few deliberate
differences (UTF-8 characters, commands run through the shell) say so.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest

from corral.shell.command import REGISTRY, CommandContext
from corral.shell.testing import BuiltinBench, BuiltinResult

ENV = {"HOME": "/workspace", "PATH": "/usr/bin:/bin", "FOO": "bar"}


def awk(
    argv: list[str],
    stdin: str | bytes = "",
    files: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> BuiltinResult:
    with BuiltinBench() as bb:
        for name, data in (files or {}).items():
            bb.write(name, data)
        return bb.run(["awk", *argv], stdin, env=ENV, timeout=timeout)


def run_ctx(
    argv: list[str],
    stdin: Any = b"",
    stdout: Any = None,
    extra: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes, bytes]:
    """Run awk with a hand-made context (custom streams, ctx.extra)."""
    with BuiltinBench() as bb:
        out = stdout if stdout is not None else io.BytesIO()
        err = io.BytesIO()
        ctx = CommandContext(
            argv=["awk", *argv],
            stdin=stdin if not isinstance(stdin, bytes) else io.BytesIO(stdin),
            stdout=out,
            stderr=err,
            env=dict(ENV),
            cwd="/workspace",
            ws=bb.ws,
            deadline=time.monotonic() + timeout,
            extra=extra or {},
        )
        try:
            status = REGISTRY["awk"](ctx)
        except BrokenPipeError:
            status = 141
        return status, out.getvalue() if isinstance(out, io.BytesIO) else b"", err.getvalue()


# (id, argv, stdin, files, status, stdout, stderr or None when gawk only adds a warning)
CASES = [
    ("print_field", ["{print $1}"], "a b\nc d\n", None, 0, "a\nc\n", ""),
    ("print_nf_and_last", ["{ print NF, $NF, $(NF-1) }"], "a b c\n", None, 0, "3 c b\n", ""),
    ("print_comma_ofs", ["-v", "OFS=-", "{ print $1, $2 }"], "a b\n", None, 0, "a-b\n", ""),
    ("default_fs_runs_tabs", ['{ print $2 "|" NF }'], "  a \t b  c  \n", None, 0, "b|3\n", ""),
    ("cr_not_a_separator", ["{print NF, length($2)}"], "a\rb c\r\n", None, 0, "2 2\n", ""),
    ("fs_comma", ["-F,", "{print $2}"], "a,b,c\n", None, 0, "b\n", ""),
    ("fs_single_char_literal_dot", ["-F.", "{print $2, NF}"], "a.b.c\n", None, 0, "b 3\n", ""),
    ("fs_single_char_literal_pipe", ["-F|", "{print $2}"], "a|b\n", None, 0, "b\n", ""),
    ("fs_t_is_literal_t", ["-Ft", "{print $2}"], "atb\n", None, 0, "b\n", ""),
    ("fs_tab_escape", ["-F", "\\t", "{print $2}"], "a b\tc\n", None, 0, "c\n", ""),
    ("fs_backslash", ["-F\\\\", "{print $2}"], "a\\b\n", None, 0, "b\n", ""),
    ("fs_regex", ["-F", ":+", '{ print $1 "-" $2 "-" NF }'], "::a::b\n", None, 0, "-a-3\n", ""),
    (
        "fs_regex_class",
        ['BEGIN { FS = "[,;]+" } { print NF, $2 }'],
        "a,;b;c\n",
        None,
        0,
        "3 b\n",
        "",
    ),
    (
        "fs_empty_splits_chars",
        ['BEGIN { FS = "" } { print $2, NF }'],
        "abc\n",
        None,
        0,
        "b 3\n",
        "",
    ),
    ("fs_long_option", ["--field-separator=,", "{ print $2 }"], "a,b\n", None, 0, "b\n", ""),
    (
        "fs_change_applies_next_record",
        ['{ FS = ","; print $1 }'],
        "a,b c\nd,e f\n",
        None,
        0,
        "a,b\nd\n",
        "",
    ),
    (
        "fs_change_resplit_with_dollar0",
        ['{ FS = ","; $0 = $0; print $1 }'],
        "a,b c\n",
        None,
        0,
        "a\n",
        "",
    ),
    (
        "assign_field_beyond_nf",
        ['{ $5 = "e"; print; print NF }'],
        "a b c\n",
        None,
        0,
        "a b c  e\n5\n",
        "",
    ),
    (
        "nf_assignment_truncates",
        ['{ NF = 2; print; NF = 4; print $0 "|" }'],
        "a b c\n",
        None,
        0,
        "a b\na b  |\n",
        "",
    ),
    (
        "rebuild_with_ofs",
        ["-v", "OFS=-", "{ $1 = $1; print; NF++; print; $2 = 3.14159265; print }"],
        "a b c\n",
        None,
        0,
        "a-b-c\na-b-c-\na-3.14159-c-\n",
        "",
    ),
    (
        "rebuild_uses_ofs_at_assignment",
        ['{$1=$1; OFS="-"; print $0; $2="x"; print}'],
        "a b c\n",
        None,
        0,
        "a b c\na-x-c\n",
        "",
    ),
    ("assign_dollar0_resplits", ['{ $0 = "x y z"; print $2, NF }'], "a\n", None, 0, "y 3\n", ""),
    (
        "field_expressions",
        ['{ i = 1; print $i++, i; print $++i; $(1+1) = "X"; print }'],
        "a b c\n",
        None,
        0,
        "0 1\nb\n1 X c\n",
        "",
    ),
    ("field_precedence", ["{ print $NF-1, -$1, !$1, $1^2 }"], "3 x 5\n", None, 0, "4 -3 0 9\n", ""),
    (
        "missing_field_is_empty_string",
        ['{print ($3==0), ($3==""), length($3)}'],
        "a\n",
        None,
        0,
        "0 1 0\n",
        "",
    ),
    (
        "negative_field_fatal",
        ["BEGIN { print $(-1) }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: attempt to access field -1\n",
    ),
    (
        "nr_fnr_filename",
        ["{ print NR, FNR, FILENAME }", "f1", "f2"],
        "",
        {"f1": "a\nb\n", "f2": "c\n"},
        0,
        "1 1 f1\n2 2 f1\n3 1 f2\n",
        "",
    ),
    (
        "stdin_dash_operand",
        ["FNR == 1 { print FILENAME } { n++ } END { print n }", "f1", "-", "f2"],
        "x\ny\n",
        {"f1": "a\nb\n", "f2": "c\n"},
        0,
        "f1\n-\nf2\n5\n",
        "",
    ),
    (
        "filename_of_stdin",
        ['BEGIN{printf "[%s]", FILENAME} END{print "[" FILENAME "]"}'],
        "a\n",
        None,
        0,
        "[][-]\n",
        "",
    ),
    ("end_keeps_last_record", ["END { print $0, NF }"], "a b\nc d e\n", None, 0, "c d e 3\n", ""),
    ("last_line_without_newline", ['{ print NR ":" $0 }'], "a\nb", None, 0, "1:a\n2:b\n", ""),
    (
        "rs_paragraph_mode",
        ['BEGIN { RS = "" } { print NR ":" $0 "|" NF }'],
        "\n\n\na b\nc\n\n\nd\n\n",
        None,
        0,
        "1:a b\nc|3\n2:d|1\n",
        "",
    ),
    (
        "rs_paragraph_fs_newline",
        ['BEGIN { RS = ""; FS = ":" } { print NF; print $1 }'],
        "p1 l1\np1 l2\n\n\n\np2 l1\n",
        None,
        0,
        "2\np1 l1\n1\np2 l1\n",
        "",
    ),
    (
        "rs_single_char",
        ["-v", "RS=;", '{ print NR "[" $0 "]" }'],
        "a;b;c;\n",
        None,
        0,
        "1[a]\n2[b]\n3[c]\n4[\n]\n",
        "",
    ),
    (
        "rs_regex_and_rt",
        ["-v", "RS=[0-9]+", "{ print NR, $0, RT }"],
        "a12b345c",
        None,
        0,
        "1 a 12\n2 b 345\n3 c \n",
        "",
    ),
    (
        "rs_crlf",
        ["-v", "RS=\\r\\n", '{ print NR ":" $0 "|" }'],
        "a\r\nb\r\n",
        None,
        0,
        "1:a|\n2:b|\n",
        "",
    ),
    ("rs_operand_assignment", ["{ print $1 }", "RS=;"], "a b;c d;", None, 0, "a\nc\n", ""),
    (
        "v_escapes_and_strnum",
        ["-v", "x=a\\tb", "-v", "n=010", "BEGIN { print x; print n+1; print (n == 10), (n < 9) }"],
        "",
        None,
        0,
        "a\tb\n11\n1 0\n",
        "",
    ),
    (
        "v_attached_and_long",
        ["-vx=hello", "--assign=y=5", "BEGIN { print x, y }"],
        "",
        None,
        0,
        "hello 5\n",
        "",
    ),
    ("v_special_var_fs", ["-v", "FS=:", "{ print $2 }"], "a:b\n", None, 0, "b\n", ""),
    (
        "v_bad_name",
        ["-v", "1x=3", "BEGIN{}"],
        "",
        None,
        2,
        "",
        "awk: fatal: `1x' is not a legal variable name\n",
    ),
    (
        "operand_assignment_between_files",
        ["{ print v, $1 }", "v=1", "g1", "v=2", "g1"],
        "",
        {"g1": "a b\n"},
        0,
        "1 a\n2 a\n",
        "",
    ),
    ("operand_fs_assignment", ["{ print $2 }", "FS=:", "f1"], "", {"f1": "a:b\n"}, 0, "b\n", ""),
    (
        "argv_argc",
        ["BEGIN { print ARGC; for (i = 1; i < ARGC; i++) print i, ARGV[i] }", "a", "b c", "x=1"],
        "",
        None,
        0,
        "4\n1 a\n2 b c\n3 x=1\n",
        "",
    ),
    (
        "argv_modified_in_begin",
        ['BEGIN { ARGV[1] = "f2" } { print }', "f1"],
        "",
        {"f1": "one\n", "f2": "two\n"},
        0,
        "two\n",
        "",
    ),
    ("environ", ['BEGIN { print ENVIRON["FOO"] }'], "", None, 0, "bar\n", ""),
    (
        "missing_file_fatal",
        ["{print}", "nofile", "f1"],
        "",
        {"f1": "a\n"},
        2,
        "",
        "awk: fatal: cannot open file `nofile' for reading: No such file or directory\n",
    ),
    (
        "directory_operand_skipped",
        ["{print}", "dd", "f1"],
        "",
        {"dd/x": "q", "f1": "a\n"},
        0,
        "a\n",
        None,
    ),
    ("regex_pattern", ["/a/"], "cat\ndog\n", None, 0, "cat\n", ""),
    ("expression_pattern", ["NR % 2"], "1\n2\n3\n4\n5\n", None, 0, "1\n3\n5\n", ""),
    ("negated_and_combined_patterns", ["$0 ~ /^a/ && !/c$/"], "ab\nac\nba\n", None, 0, "ab\n", ""),
    ("range_pattern", ["NR==2, NR==4"], "1\n2\n3\n4\n5\n6\n", None, 0, "2\n3\n4\n", ""),
    (
        "range_regex_restarts",
        ['/b/,/d/ { print NR": "$0 }'],
        "a\nb\nc\nd\ne\nb\n",
        None,
        0,
        "2: b\n3: c\n4: d\n6: b\n",
        "",
    ),
    ("range_same_line", ["/x/,/x/"], "a\nx\nb\nx\nc\n", None, 0, "x\nx\n", ""),
    ("dedupe_idiom", ["!seen[$0]++"], "a\nb\na\nc\nb\n", None, 0, "a\nb\nc\n", ""),
    ("length_pattern", ["length > 3"], "ab\nabcd\nabcdef\n", None, 0, "abcd\nabcdef\n", ""),
    (
        "two_file_join_idiom",
        ["-F,", "NR==FNR { a[$1]; next } $1 in a", "f1", "f2"],
        "",
        {"f1": "x\ny\n", "f2": "x,1\nz,2\ny,3\n"},
        0,
        "x,1\ny,3\n",
        "",
    ),
    (
        "multiple_begin_end",
        ["BEGIN { print 1 }; BEGIN { print 2 }; END { print 3 }; END { print 4 }"],
        "",
        None,
        0,
        "1\n2\n3\n4\n",
        "",
    ),
    (
        "pattern_then_block_on_next_line",
        ['/a/\n{ print "all:" $0 }'],
        "a\nb\n",
        None,
        0,
        "a\nall:a\nall:b\n",
        "",
    ),
    ("only_begin_reads_no_input", ['BEGIN { print "x" }'], "q\n", None, 0, "x\n", ""),
    (
        "strnum_comparisons",
        ['{ print ($1 < $2), ("10" < "9"), ($1 < "9"), (10 < 9) }'],
        "10 9\n",
        None,
        0,
        "0 1 1 0\n",
        "",
    ),
    (
        "strnum_forms",
        ["{ print $1, $2+0, $3+0, $4*2; print ($1 == 0.1), ($2 == 1000), ($1 < $2) }"],
        "0.10 1e3 +5 .5\n",
        None,
        0,
        "0.10 1000 5 1\n1 1 1\n",
        "",
    ),
    (
        "string_constant_compares_as_string",
        ['{ print ($1 == "1.0"), ($1 == 1) }'],
        "1.0\n",
        None,
        0,
        "1 1\n",
        "",
    ),
    (
        "concat_forces_string",
        ['{ x = $1 ""; print (x < $2), ($1 < $2) }'],
        "2 10\n",
        None,
        0,
        "0 1\n",
        "",
    ),
    (
        "non_numeric_field_compares_as_string",
        ["{ print ($1 > $2) }"],
        "abc 10\n",
        None,
        0,
        "1\n",
        "",
    ),
    (
        "uninit_is_zero_and_empty",
        ['BEGIN { print x==0, x=="", length(x), x+0, "[" x "]" }'],
        "",
        None,
        0,
        "1 1 0 0 []\n",
        "",
    ),
    (
        "truthiness",
        ['{ print ($1 ? "t" : "f"), ($2 ? "t" : "f"), ("0" ? "t" : "f"), (0 ? "t" : "f") }'],
        "0.0 x\n",
        None,
        0,
        "f t t f\n",
        "",
    ),
    (
        "assigned_dollar0_is_string",
        ['BEGIN { $0 = "10"; if ($0 < 9) print "str"; else print "num" }'],
        "",
        None,
        0,
        "str\n",
        "",
    ),
    (
        "string_to_number_prefix",
        ['BEGIN { print "5 items" + 0, "x5" + 0, ".5." + 0, "1e2x" + 0, "-3-" + 0, "0x1A" + 0 }'],
        "",
        None,
        0,
        "5 0 0.5 100 -3 0\n",
        "",
    ),
    (
        "inf_nan_strings",
        ['BEGIN { print "+inf" + 0, "-nan" + 0, "nan" + 0, "infinity" + 0 }'],
        "",
        None,
        0,
        "+inf -nan 0 0\n",
        "",
    ),
    (
        "number_output_formats",
        [
            "BEGIN { print 100000 * 100000, 2^53, 0.1+0.2, 1/3, 123456789012, 1e6, 1e-5, 100/3*3, 1e30 }"
        ],
        "",
        None,
        0,
        "10000000000 9007199254740992 0.3 0.333333 123456789012 1000000 1e-05 100 1000000000000000019884624838656\n",
        "",
    ),
    (
        "ofmt_and_convfmt",
        [
            'BEGIN{CONVFMT="%.2g"; OFMT="%.3g"; $0="a b"; $1=3.14159; print; print 3.14159; x = 3.14159 ""; print x; printf "%s\\n", 3.14159; print 17 / 1}'
        ],
        "",
        None,
        0,
        "3.1 b\n3.14\n3.1\n3.1\n17\n",
        "",
    ),
    (
        "convfmt_array_subscript",
        [
            'BEGIN { CONVFMT = "%d"; a[0.5] = 1; for (k in a) print "k=" k; b[0.1+0.2]; for (k in b) print k }'
        ],
        "",
        None,
        0,
        "k=0\n0\n",
        "",
    ),
    (
        "octal_and_hex_constants",
        ["BEGIN { print 011, 0x10, 1e3, .5, 5., 1e-2 }"],
        "",
        None,
        0,
        "9 16 1000 0.5 5 0.01\n",
        "",
    ),
    (
        "string_escapes",
        ['BEGIN { print "a\\"b", "c\\\\d", "\\101", "\\x41", "t\\tn" }'],
        "",
        None,
        0,
        'a"b c\\d A A t\tn\n',
        "",
    ),
    (
        "arithmetic",
        [
            "BEGIN { print 7 % 3, -7 % 3, 7 % -3, 5.5 % 2, 2 ** 10, 2 ^ 3 ^ 2, -2 ^ 2, 2 ^ -1, 10 / 4 }"
        ],
        "",
        None,
        0,
        "1 -1 1 1.5 1024 512 -4 0.5 2.5\n",
        "",
    ),
    (
        "compound_assignment",
        [
            "BEGIN { x = 5; x ^= 2; print x; x **= 2; print x; x %= 7; print x; x += 3; x -= 1; x *= 4; x /= 2; print x }"
        ],
        "",
        None,
        0,
        "25\n625\n2\n8\n",
        "",
    ),
    (
        "increment_decrement",
        ['BEGIN { x = 3; y = x++ + ++x; print x, y; z = "abc"; print z++, z; print --z, z-- }'],
        "",
        None,
        0,
        "5 8\n0 1\n0 0\n",
        "",
    ),
    (
        "chained_assignment",
        ['BEGIN { a = b = c = 4; print a, b, c; FS = OFS = ":"; print FS OFS }'],
        "",
        None,
        0,
        "4 4 4\n::\n",
        "",
    ),
    (
        "concatenation_precedence",
        ['BEGIN { print 1 " " -1; print 1 + 2 " " 3 + 4; print -1 " " -1; x = "A"; print x x x }'],
        "",
        None,
        0,
        "1-1\n3 7\n-1-1\nAAA\n",
        "",
    ),
    (
        "unary_operators",
        ['BEGIN { print -"3", +"4a", !"", !"a", !0, !"0", !x, !!x, - - 3 }'],
        "",
        None,
        0,
        "-3 4 1 0 1 0 1 0 3\n",
        "",
    ),
    (
        "not_binds_tighter_than_compare",
        ["BEGIN{a=1;b=2; print !a == b; print 1 !x}"],
        "",
        None,
        0,
        "0\n11\n",
        "",
    ),
    (
        "ternary",
        ['BEGIN { x = 0 ? "a" : 1 ? "b" : "c"; print x; print (5 > 2 ? "big" : "small") }'],
        "",
        None,
        0,
        "b\nbig\n",
        "",
    ),
    (
        "match_operators",
        ['$1 ~ "^[0-9]+$" { print "num", $1 } $1 !~ /^[0-9]+$/ { print "str", $1 }'],
        "12\nab\n3x\n",
        None,
        0,
        "num 12\nstr ab\nstr 3x\n",
        "",
    ),
    (
        "in_operator_and_multidim",
        [
            'BEGIN { x["a"]; if ("a" in x) print "yes"; if (("b") in x) print "no"; a[1,2] = 3; for (k in a) { split(k, p, SUBSEP); print p[1], p[2] }; if ((1,2) in a) print "in"; delete a[1,2]; print length(a) }'
        ],
        "",
        None,
        0,
        "yes\n1 2\nin\n0\n",
        "",
    ),
    (
        "division_vs_regex",
        ['{ a = 4; print $1/$2, a / 2 / 2; n = split("a/b/c", p, "/"); print n, p[2] }'],
        "6 3\n",
        None,
        0,
        "2 1\n3 b\n",
        "",
    ),
    (
        "division_by_zero",
        ["{ z=0; x = 1/z }"],
        "a\n",
        None,
        2,
        "",
        "awk: cmd. line:1: (FILENAME=- FNR=1) fatal: division by zero attempted\n",
    ),
    (
        "modulo_by_zero",
        ["{ z=0; x = 1%z }", "f1"],
        "",
        {"f1": "a\n"},
        2,
        "",
        "awk: cmd. line:1: (FILENAME=f1 FNR=1) fatal: division by zero attempted in `%'\n",
    ),
    (
        "division_by_zero_in_begin",
        ["BEGIN { z=0; x = 1/z }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: division by zero attempted\n",
    ),
    (
        "array_count_idiom",
        ["{ c[$1]++ } END { n = asorti(c, k); for (i = 1; i <= n; i++) print k[i], c[k[i]] }"],
        "b\na\nb\nc\nb\n",
        None,
        0,
        "a 1\nb 3\nc 1\n",
        "",
    ),
    (
        "array_reverse_lines",
        ["{ a[NR] = $0 } END { for (i = NR; i >= 1; i--) print a[i] }"],
        "x\ny\nz\n",
        None,
        0,
        "z\ny\nx\n",
        "",
    ),
    (
        "array_numeric_string_keys",
        ['BEGIN { a["1"] = "one"; print a[1]; a[01] = "x"; print a["1"], length(a) }'],
        "",
        None,
        0,
        "one\nx 1\n",
        "",
    ),
    (
        "array_reference_creates",
        ['BEGIN { if (a["x"] == "") print length(a); if ("y" in a) print "no"; print length(a) }'],
        "",
        None,
        0,
        "1\n1\n",
        "",
    ),
    (
        "delete_element_and_whole",
        [
            "BEGIN { a[1]; a[2]; delete a[1]; print length(a); delete a; print length(a); a[3] = 1; print length(a) }"
        ],
        "",
        None,
        0,
        "1\n0\n1\n",
        "",
    ),
    (
        "delete_inside_for_in",
        ['BEGIN { a["x"] = 1; a["y"] = 2; for (k in a) delete a[k]; print length(a) }'],
        "",
        None,
        0,
        "0\n",
        "",
    ),
    (
        "for_in_key_is_strnum",
        ['BEGIN{a[10];a[9]; for(k in a) if (k < 9.5) print "lt", k}'],
        "",
        None,
        0,
        "lt 9\n",
        "",
    ),
    (
        "subsep",
        ['BEGIN { SUBSEP = ":" } { a[$1, $2] = 1 } END { for (k in a) print k }'],
        "x y\n",
        None,
        0,
        "x:y\n",
        "",
    ),
    (
        "sorted_in_ind_num",
        [
            'BEGIN { PROCINFO["sorted_in"] = "@ind_num_asc"; a[10]; a[2]; a[33]; a[1]; for (k in a) print k }'
        ],
        "",
        None,
        0,
        "1\n2\n10\n33\n",
        "",
    ),
    (
        "sorted_in_val_num_desc",
        [
            'BEGIN { PROCINFO["sorted_in"] = "@val_num_desc"; a["x"]=3; a["y"]=10; a["z"]=1; for (k in a) print k, a[k] }'
        ],
        "",
        None,
        0,
        "y 10\nx 3\nz 1\n",
        "",
    ),
    (
        "asort_mixed",
        [
            'BEGIN { a[1]="b"; a[2]="a"; a[3]=10; a[4]=2; n = asort(a, b); for (i=1;i<=n;i++) printf "%s ", b[i]; print n }'
        ],
        "",
        None,
        0,
        "2 10 a b 4\n",
        "",
    ),
    (
        "scalar_used_as_array",
        ['BEGIN { x = "a" ; x[1] = 2 }'],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: attempt to use scalar `x' as an array\n",
    ),
    (
        "array_used_as_scalar",
        ["BEGIN { x[1]=1; print x }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: attempt to use array `x' in a scalar context\n",
    ),
    (
        "if_else_newlines",
        [
            'BEGIN {\n  if (0)\n    print "a"\n  else if (1)\n    print "b"\n  else\n    print "c"\n  if (1) print "d"; else print "e"\n}'
        ],
        "",
        None,
        0,
        "b\nd\n",
        "",
    ),
    (
        "loops_break_continue",
        [
            "BEGIN { while (i < 3) { i++; if (i == 2) continue; print i }; do { j++ } while (j < 5); print j; for (;;) { k++; if (k > 3) break }; print k }"
        ],
        "",
        None,
        0,
        "1\n3\n5\n4\n",
        "",
    ),
    (
        "nested_loops_break",
        [
            "BEGIN { for (i = 0; i < 3; i++) for (j = 0; j < 3; j++) { if (j == 1) break; print i, j } }"
        ],
        "",
        None,
        0,
        "0 0\n1 0\n2 0\n",
        "",
    ),
    (
        "empty_loop_bodies",
        [
            "BEGIN { for (i = 0; i < 3; i++); print i; while (n++ < 3); print n; do m++; while (m < 5); print m }"
        ],
        "",
        None,
        0,
        "3\n4\n5\n",
        "",
    ),
    ("next_skips_rules", ["NR == 1 { next } { print }"], "a\nb\nc\n", None, 0, "b\nc\n", ""),
    (
        "nextfile",
        ["FNR == 2 { nextfile } { print FILENAME, $0 }", "f1", "f2"],
        "",
        {"f1": "a\nb\nc\n", "f2": "d\ne\n"},
        0,
        "f1 a\nf2 d\n",
        "",
    ),
    (
        "exit_runs_end_with_code",
        ['{ print; exit 5 } END { print "end", NR }'],
        "a\nb\n",
        None,
        5,
        "a\nend 1\n",
        "",
    ),
    ("exit_in_begin_runs_end", ['BEGIN { exit 3 } END { print "end" }'], "", None, 3, "end\n", ""),
    (
        "exit_in_end_keeps_code",
        ['{ exit 3 } END { print "end"; exit }'],
        "a\n",
        None,
        3,
        "end\n",
        "",
    ),
    (
        "next_in_begin_is_error",
        ["BEGIN { next }"],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: error: `next' used in BEGIN action\n",
    ),
    (
        "break_outside_loop_is_error",
        ["BEGIN { if (1) break }"],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: error: `break' is not allowed outside a loop or switch\n",
    ),
    (
        "recursive_function",
        ["function f(n) { return n <= 1 ? 1 : n * f(n-1) }\nBEGIN { print f(10) }"],
        "",
        None,
        0,
        "3628800\n",
        "",
    ),
    (
        "fibonacci",
        ["function fib(n) { return n < 2 ? n : fib(n-1) + fib(n-2) } BEGIN { print fib(20) }"],
        "",
        None,
        0,
        "6765\n",
        "",
    ),
    (
        "array_param_by_reference",
        [
            "function fill(arr, n,   i) { for (i = 1; i <= n; i++) arr[i] = i * i } BEGIN { fill(sq, 3); print sq[3], length(sq) }"
        ],
        "",
        None,
        0,
        "9 3\n",
        "",
    ),
    (
        "array_param_passed_through",
        [
            'function a(x) { b(x) } function b(y) { y["k"] = 1 } BEGIN { a(arr); print length(arr), arr["k"] }'
        ],
        "",
        None,
        0,
        "1 1\n",
        "",
    ),
    (
        "scalar_params_by_value_and_locals",
        [
            "function f(a,  b) { b = a * 2; a = 0; return b } BEGIN { b = 5; x = 3; print f(x), b, x }"
        ],
        "",
        None,
        0,
        "6 5 3\n",
        "",
    ),
    (
        "local_array_fresh_each_call",
        ["function f(n,   t) { t[n] = 1; return length(t) } BEGIN { print f(1), f(2) }"],
        "",
        None,
        0,
        "1 1\n",
        "",
    ),
    (
        "return_without_value",
        ['function f() { return } BEGIN { x = f(); print "[" x "]", length(x) }'],
        "",
        None,
        0,
        "[] 0\n",
        "",
    ),
    (
        "function_defined_after_use_multiline",
        ["BEGIN { print double(4) }\nfunction double(x)\n{\n  return 2 * x\n}"],
        "",
        None,
        0,
        "8\n",
        "",
    ),
    (
        "undefined_function",
        ["BEGIN { foo(1) }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: function `foo' not defined\n",
    ),
    (
        "scalar_passed_to_array_param",
        ["function f(a) { a[1]=1 } BEGIN { f(1) }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: attempt to use scalar parameter `a' as an array\n",
    ),
    (
        "return_outside_function",
        ["BEGIN { return 1 }"],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: BEGIN { return 1 }\nawk: cmd. line:1:         ^ `return' used outside function context\n",
    ),
    (
        "length_forms",
        ['{ print length, length($2), length("x" "yz"), length(12345), length(1/3) }'],
        "ab cde\n",
        None,
        0,
        "6 3 3 5 8\n",
        "",
    ),
    ("length_of_array", ["BEGIN { a[1]; a[2]; print length(a) }"], "", None, 0, "2\n", ""),
    (
        "substr_edge_cases",
        [
            'BEGIN { s="hello"; print substr(s,0,2) "|" substr(s,-1,3) "|" substr(s,1.6,2.6) "|" substr(s,1,0.6) "|" substr(s,2.5) "|" substr(s,6) "|" substr(s,5,10) "|" substr(s,3,-1) "|" substr(s, 2) }'
        ],
        "",
        None,
        0,
        "he|hel|he||ello||o||ello\n",
        "",
    ),
    (
        "index_function",
        [
            'BEGIN { print index("foobar", "bar"), index("foo", "z"), index("abc", ""), index("abc", 98) }'
        ],
        "",
        None,
        0,
        "4 0 1 0\n",
        "",
    ),
    (
        "split_variants",
        [
            'BEGIN { n = split("a:b:c", a, ":"); print n, a[1], a[3]; n = split("  a b  c ", b); print n, b[1] b[3]; n = split("a1b22c", c, /[0-9]+/); print n, c[2], c[3]; n=split("", d); print n, length(d); n = split("abc", e, ""); print n, e[1], e[3]; n = split("a.b", f, "."); print n }'
        ],
        "",
        None,
        0,
        "3 a c\n3 ac\n3 b c\n0 0\n3 a c\n2\n",
        "",
    ),
    (
        "split_seps_array",
        ['BEGIN { n = split("a1b2c", p, /[0-9]/, seps); print n, seps[1], seps[2] }'],
        "",
        None,
        0,
        "3 1 2\n",
        "",
    ),
    (
        "split_elements_are_strnum",
        ['BEGIN { split("10 9 2", a); print (a[1] > a[2]), (a[2] > a[3]) }'],
        "",
        None,
        0,
        "1 1\n",
        "",
    ),
    (
        "sub_gsub_basics",
        [
            'BEGIN { s="hello world"; n=gsub(/o/, "[&]", s); print n, s; s = "aaa"; print sub(/a/, "b", s), s; print gsub(/a/, "c", s), s }'
        ],
        "",
        None,
        0,
        "2 hell[o] w[o]rld\n1 baa\n2 bcc\n",
        "",
    ),
    (
        "gsub_backslash_rules",
        [
            'BEGIN { t="aaa"; gsub(/a/, "\\\\&", t); print t; u="abc"; gsub(/b/, "\\\\\\\\&", u); print u; v="abc"; gsub(/b/, "x\\\\y", v); print v; w="abc"; gsub("b", "\\\\\\\\\\\\&", w); print w }'
        ],
        "",
        None,
        0,
        "&&&\na\\bc\nax\\yc\na\\&c\n",
        "",
    ),
    (
        "gsub_empty_matches",
        [
            'BEGIN { s="abc"; gsub(/x*/, "-", s); print s; s="axc"; gsub(/x*/, "-", s); print s; s="hello"; gsub(//, "-", s); print s; s="aaa"; print gsub(/^a/, "b", s), s }'
        ],
        "",
        None,
        0,
        "-a-b-c-\n-a-c-\n-h-e-l-l-o-\n1 baa\n",
        "",
    ),
    (
        "gsub_on_record_and_field",
        ['{ gsub(/o/, "0", $2); print; print NF; n = gsub(/[aeiou]/, "<&>"); print n, $0 }'],
        "foo boo zoo\n",
        None,
        0,
        "foo b00 zoo\n3\n4 f<o><o> b00 z<o><o>\n",
        "",
    ),
    (
        "sub_dynamic_regex_strings",
        [
            'BEGIN { s = "a.b.c"; gsub(".", "-", s); print s; s = "a.b.c"; gsub("\\\\.", "-", s); print s }'
        ],
        "",
        None,
        0,
        "-----\na-b-c\n",
        "",
    ),
    (
        "match_function",
        [
            'BEGIN { print match("foobar", /o+/), RSTART, RLENGTH; print match("x", /z/), RSTART, RLENGTH; match("ab12cd", /([a-z]+)([0-9]+)/, m); print m[0], m[1], m[2], m[1,"start"], m[2,"length"] }'
        ],
        "",
        None,
        0,
        "2 2 2\n0 0 -1\nab12 ab 12 1 2\n",
        "",
    ),
    (
        "gensub_function",
        ['{ print gensub(/([0-9]+)/, "[\\\\1]", "g"); print gensub(/o/, "0", 2, "foo boo") }'],
        "a1b22\n",
        None,
        0,
        "a[1]b[22]\nfo0 boo\n",
        "",
    ),
    (
        "toupper_tolower",
        [
            'BEGIN { print tolower("MiXeD 123"), toupper("MiXeD 123"), toupper(substr("hello", 1, 1)) substr("hello", 2) }'
        ],
        "",
        None,
        0,
        "mixed 123 MIXED 123 Hello\n",
        "",
    ),
    (
        "sprintf_function",
        [
            'BEGIN { x = sprintf("%d items", 3); print x; print sprintf("%5s|%-5s|%.2s", "ab", "cd", "efgh") }'
        ],
        "",
        None,
        0,
        "3 items\n   ab|cd   |ef\n",
        "",
    ),
    (
        "printf_integer_formats",
        ['BEGIN { printf "%x %X %o %u %d %i\\n", -1, 255, 8, -1, "3abc", 3.9 }'],
        "",
        None,
        0,
        "ffffffffffffffff FF 10 18446744073709551615 3 3\n",
        "",
    ),
    (
        "printf_flags",
        [
            'BEGIN { printf "%05s|%-5d|%+d|% d|%5.2f|%e|%05.3d|%#o|%#x|%.3d|%.0d|\\n", "ab", 3, 4, 5, 3.14159, 1234.5, 7, 8, 255, 5, 0 }'
        ],
        "",
        None,
        0,
        "   ab|3    |+4| 5| 3.14|1.234500e+03|  007|010|0xff|005||\n",
        "",
    ),
    (
        "printf_star_width_precision",
        [
            'BEGIN { printf "%*d|%-*d|%.*f|%.3s|%10.3e|%G|%g|%g\\n", 5, 42, 4, 7, 2, 3.14159, "abcdef", 12345.678, 1e-10, 100000, 1000000 }'
        ],
        "",
        None,
        0,
        "   42|7   |3.14|abc| 1.235e+04|1E-10|100000|1e+06\n",
        "",
    ),
    (
        "printf_char",
        ['{printf "%c%c%c|%c|[%3c]\\n", $1, "66", 67.9, "hello", "x"}'],
        "65\n",
        None,
        0,
        "A6C|h|[  x]\n",
        "",
    ),
    (
        "printf_percent_and_unknown",
        ['BEGIN { printf "%d%%|%5%|%z|\\n", 50 }'],
        "",
        None,
        0,
        "50%|%|%z|\n",
        "",
    ),
    (
        "printf_inf_nan",
        ['BEGIN { printf "%d %f %5.1f %x %d\\n", -log(0), log(-1), -log(0), 1e30, 1e30 }'],
        "",
        None,
        0,
        "+inf -nan +inf 1e+30 1000000000000000019884624838656\n",
        None,
    ),
    (
        "printf_parenthesized",
        ['BEGIN { printf("%s %s\\n", "x", "y"); print("a", "b"); print (1)(2) }'],
        "",
        None,
        0,
        "x y\na b\n12\n",
        "",
    ),
    (
        "printf_not_enough_args",
        ['BEGIN { printf "%s %s\\n", "a" }'],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: not enough arguments to satisfy format string\n\t`%s %s\n'\n\t    ^ ran out for this one\n",
    ),
    (
        "printf_no_args",
        ["BEGIN { printf }"],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: printf: no arguments\n",
    ),
    (
        "math_functions",
        [
            'BEGIN { printf "%.4f %.4f %.4f %.4f %.4f\\n", sin(1), cos(1), atan2(1, 2), exp(1), log(10); print sqrt(16), exp(0), log(1), int(3.9), int(-3.9), int("12abc") }'
        ],
        "",
        None,
        0,
        "0.8415 0.5403 0.4636 2.7183 2.3026\n4 1 0 3 -3 12\n",
        "",
    ),
    (
        "srand_rand_repeatable",
        [
            "BEGIN { srand(1); a = rand(); srand(1); b = rand(); print (a == b), (a >= 0 && a < 1), srand(5) }"
        ],
        "",
        None,
        0,
        "1 1 1\n",
        "",
    ),
    (
        "bit_functions",
        [
            "BEGIN { print and(12, 10), or(12, 10), xor(12, 10), lshift(1, 4), rshift(256, 2), compl(0) }"
        ],
        "",
        None,
        0,
        "8 14 6 16 64 9007199254740991\n",
        "",
    ),
    (
        "getline_forms_main_input",
        ['NR==1 { getline; print "got", $0, NR, FNR; getline v; print "v", v, NR, $0 }'],
        "a\nb\nc\n",
        None,
        0,
        "got b 2 2\nv c 3 b\n",
        "",
    ),
    (
        "getline_in_begin_reads_input",
        ["BEGIN { while ((getline line) > 0) n++; print n, NR }"],
        "a\nb\nc\n",
        None,
        0,
        "3 3\n",
        "",
    ),
    (
        "getline_from_file_and_close",
        [
            'BEGIN { while ((getline line < "f3") > 0) n++; print n, line, NR; print close("f3"), close("nope"); print (getline x < "nofile") }'
        ],
        "",
        {"f3": "l1\nl2\nl3\n"},
        0,
        "3 l3 0\n0 -1\n-1\n",
        "",
    ),
    (
        "getline_file_per_record",
        ['{ getline line < "f1"; print $0, line }', "f2"],
        "",
        {"f1": "p\nq\n", "f2": "x\ny\nz\n"},
        0,
        "x p\ny q\nz q\n",
        "",
    ),
    (
        "print_to_file_and_read_back",
        [
            '{ print > "out.txt" } END { close("out.txt"); while ((getline l < "out.txt") > 0) print "got", l }'
        ],
        "a\nb\n",
        None,
        0,
        "got a\ngot b\n",
        "",
    ),
    (
        "append_redirection",
        [
            'BEGIN { print "x" > "o1"; print "y" > "o1"; close("o1"); print "z" >> "o1"; close("o1"); while ((getline l < "o1") > 0) print l }'
        ],
        "",
        None,
        0,
        "x\ny\nz\n",
        "",
    ),
    (
        "redirect_target_concatenation",
        [
            '{ print $2 > ($1 ".out") } END { close("a.out"); while ((getline l < "a.out") > 0) print "a:", l }'
        ],
        "a 1\nb 2\na 3\n",
        None,
        0,
        "a: 1\na: 3\n",
        "",
    ),
    (
        "printf_to_file",
        ['BEGIN { printf "%s-%s\\n", "a", "b" > "o2"; close("o2"); getline l < "o2"; print l }'],
        "",
        None,
        0,
        "a-b\n",
        "",
    ),
    (
        "special_files",
        [
            'BEGIN { print "err" > "/dev/stderr"; print "out" > "/dev/stdout"; print "dash" > "-"; print "gone" > "/dev/null" }'
        ],
        "",
        None,
        0,
        "out\ndash\n",
        "err\n",
    ),
    (
        "redirect_null_name",
        ['BEGIN { print "x" > x }'],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: expression for `>' redirection has null string value\n",
    ),
    (
        "comments_and_continuation",
        ["# comment\nBEGIN { # another\n  x = 1 + \\\n 2 # trailing\n  print x\n}\n"],
        "",
        None,
        0,
        "3\n",
        "",
    ),
    (
        "newlines_after_operators",
        ['BEGIN { if (1 &&\n 1) print "ok"; a = 1 ||\n 0; print a, "c",\n "d" }'],
        "",
        None,
        0,
        "ok\n1 c d\n",
        "",
    ),
    (
        "syntax_error_caret",
        ["BEGIN { print ( }"],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: BEGIN { print ( }\nawk: cmd. line:1:                 ^ syntax error\n",
    ),
    (
        "syntax_error_multiline",
        ["BEGIN {\n  x = 1\n  print x +* 2\n}"],
        "",
        None,
        1,
        "",
        "awk: cmd. line:3:   print x +* 2\nawk: cmd. line:3:            ^ syntax error\n",
    ),
    (
        "syntax_error_unexpected_end",
        ["{ print $1 "],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: { print $1 \nawk: cmd. line:1:            ^ unexpected newline or end of string\n",
    ),
    (
        "unterminated_string",
        ['BEGIN { print "abc }'],
        "",
        None,
        1,
        "",
        'awk: cmd. line:1: BEGIN { print "abc }\nawk: cmd. line:1:               ^ unterminated string\n',
    ),
    (
        "wrong_builtin_arity",
        ['BEGIN { substr("x") }'],
        "",
        None,
        1,
        "",
        'awk: cmd. line:1: BEGIN { substr("x") }\nawk: cmd. line:1:                   ^ 1 is invalid as number of arguments for substr\n',
    ),
    (
        "invalid_regex_literal",
        ['BEGIN { if ("a" ~ /[b-a]/) print }'],
        "",
        None,
        1,
        "",
        "awk: cmd. line:1: error: Invalid range end: /[b-a]/\n",
    ),
    (
        "invalid_dynamic_regex",
        ['BEGIN { r = "("; if ("a" ~ r) print }'],
        "",
        None,
        2,
        "",
        "awk: cmd. line:1: fatal: invalid regexp: Unmatched ( or \\(: /(/\n",
    ),
    (
        "regex_classes_intervals",
        [
            'BEGIN { print ("abc" ~ /^[[:alpha:]]+$/), ("a{2}" ~ /a{2}/), ("aa" ~ /a{2}/), ("ab" ~ "a."), ("a+b" ~ /a\\+b/), ("x" ~ /[^[:digit:]]/), ("]" ~ /[]]/), ("a/b" ~ /a\\/b/), ("abcabc" ~ /^(abc){2}$/) }'
        ],
        "",
        None,
        0,
        "1 0 1 1 1 1 1 1 1\n",
        "",
    ),
    (
        "regex_gawk_operators",
        [
            'BEGIN { print ("+" ~ /+/), ("word" ~ /\\<word\\>/), ("a word" ~ /\\yword\\y/), ("a\\nb" ~ /a.b/), ("ab\\n" ~ /b$/), ("{" ~ /{/), ("_" ~ /\\w/), (" " ~ /\\s/) }'
        ],
        "",
        None,
        0,
        "1 1 1 1 0 1 1 1\n",
        "",
    ),
    (
        "dynamic_regex_from_variable",
        ['BEGIN { r = "^a.c$"; if ("abc" ~ r) print "y"; if ("abd" ~ r) print "n" }'],
        "",
        None,
        0,
        "y\n",
        "",
    ),
    (
        "sum_column_idiom",
        ["{ s += $2 } END { print s, s / NR }"],
        "a 1\nb 2\nc 3.5\n",
        None,
        0,
        "6.5 2.16667\n",
        "",
    ),
    (
        "reverse_fields_idiom",
        ['{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? OFS : ORS) }'],
        "a b c\n",
        None,
        0,
        "c b a\n",
        "",
    ),
    (
        "max_line_idiom",
        ["length($0) > max { max = length($0); line = $0 } END { print max, line }"],
        "ab\nabcd\nabc\n",
        None,
        0,
        "4 abcd\n",
        "",
    ),
    (
        "join_values_idiom",
        ['{ a[$1] = a[$1] ? a[$1] "," $2 : $2 } END { print a["k"] }'],
        "k 1\nk 2\nj 3\nk 4\n",
        None,
        0,
        "1,2,4\n",
        "",
    ),
    ("one_as_pattern_after_action", ['BEGIN{OFS=","} {$1=$1}1'], "a b c\n", None, 0, "a,b,c\n", ""),
    (
        "dev_null_input_operand",
        ["{ n++ } END { print n + 0 }", "/dev/null"],
        "",
        None,
        0,
        "0\n",
        "",
    ),
    (
        "rs_change_mid_stream",
        ['NR==1 { RS=";" } { print NR": "$0 }'],
        "a\nb;c;d\n",
        None,
        0,
        "1: a\n2: b\n3: c\n4: d\n\n",
        "",
    ),
    (
        "rs_change_between_files",
        ['{ print NR ":" $0 }', "RS=;", "f1", "RS=\\n", "f2"],
        "",
        {"f1": "a;b", "f2": "c\nd\n"},
        0,
        "1:a\n2:b\n3:c\n4:d\n",
        "",
    ),
    (
        "rs_regex_alternation",
        ['BEGIN { RS = "a|b" } { print NR, $0, RT }'],
        "xaybz",
        None,
        0,
        "1 x a\n2 y b\n3 z \n",
        "",
    ),
    (
        "getline_var_from_dir_concat",
        ['BEGIN { dir = "d"; f = "x"; while ((getline line < (dir "/" f)) > 0) print line }'],
        "",
        {"d/x": "in dir\n"},
        0,
        "in dir\n",
        "",
    ),
    (
        "separator_join_idiom",
        ['{ printf "%s%s", sep, $1; sep = "," } END { print "" }'],
        "a\nb\nc\n",
        None,
        0,
        "a,b,c\n",
        "",
    ),
    (
        "assignment_in_condition",
        ['BEGIN { if (x = 0) print "t"; else print "f"; print length(y = "abc"), y }'],
        "",
        None,
        0,
        "f\n3 abc\n",
        "",
    ),
    (
        "print_gt_is_redirection",
        ['BEGIN{print 10 > 2; close("2"); getline l < "2"; print "file:" l; print(1 < 2) }'],
        "",
        None,
        0,
        "file:10\n1\n",
        "",
    ),
    ("huge_numbers_in_input", ["{ print $1 * 1 }"], "1e400\n-1e400\n", None, 0, "+inf\n-inf\n", ""),
    (
        "substr_nan_start",
        ['BEGIN { print substr("hello", log(-1), 2) "|" substr("hello", 1, log(-1)) "|" }'],
        "",
        None,
        0,
        "he||\n",
        None,
    ),
    (
        "printf_star_negative",
        ['BEGIN { printf "%*.*d|%.*s|\\n", -5, 3, 7, -1, "abc" }'],
        "",
        None,
        0,
        "007  |abc|\n",
        "",
    ),
    (
        "strtonum_function",
        [
            'BEGIN { print strtonum("0x1A"), strtonum("017"), strtonum("12abc"), strtonum(" 0x10"), strtonum("1e3"), strtonum(-3), strtonum("09") }'
        ],
        "",
        None,
        0,
        "26 15 12 0 1000 -3 9\n",
        "",
    ),
    (
        "else_needs_terminator",
        ['BEGIN { if (1) print "a" else print "b" }'],
        "",
        None,
        1,
        "",
        'awk: cmd. line:1: BEGIN { if (1) print "a" else print "b" }\nawk: cmd. line:1:                          ^ syntax error\n',
    ),
]


@pytest.mark.parametrize(
    ("argv", "stdin", "files", "status", "stdout", "stderr"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_matches_gawk(
    argv: list[str],
    stdin: str,
    files: dict[str, str] | None,
    status: int,
    stdout: str,
    stderr: str | None,
) -> None:
    r = awk(argv, stdin, files)
    assert r.out == stdout
    assert r.status == status
    if stderr is not None:
        assert r.err == stderr


# -- deliberate choices (checked against gawk with LC_ALL=C.UTF-8) ----------------


def test_utf8_characters_count_as_one() -> None:
    r = awk(["{ print length($0), toupper($0), substr($0, 2, 2) }"], "héllo\n")
    assert r.out == "5 HÉLLO él\n"


def test_printf_c_above_255_is_a_utf8_character() -> None:
    r = awk(['BEGIN { printf "%c|%c", 256, 65 }'])
    assert r.out == "Ā|A"


def test_binary_input_passes_through() -> None:
    data = b"\x00\x01\xff\xfe bin\n\xc3(\n"
    r = awk(["{ print $0; print NF }"], data)
    assert r.status == 0
    assert r.stdout == b"\x00\x01\xff\xfe bin\n2\n\xc3(\n1\n"


# -- options and program sources -------------------------------------------------------


def test_registered_as_awk_and_gawk_with_help() -> None:
    import corral.shell.builtins  # noqa: F401

    assert REGISTRY["awk"] is REGISTRY["gawk"]
    doc = REGISTRY["awk"].__doc__ or ""
    assert doc.startswith("Usage: awk ")
    with BuiltinBench() as bb:
        r = bb.run(["gawk", "BEGIN { print ARGV[0] }"])
    assert r.out == "gawk\n"


def test_version() -> None:
    r = awk(["--version"])
    assert r.status == 0 and "GNU Awk" in r.out


def test_no_program_prints_usage() -> None:
    r = awk([])
    assert r.status == 1
    assert r.err.startswith("Usage: awk [POSIX or GNU style options] -f progfile [--] file ...\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-q", "BEGIN{}"], "awk: invalid option -- 'q'\n"),
        (["-F"], "awk: option requires an argument -- F\n"),
        (["--frobnicate", "BEGIN{}"], "awk: unrecognized option '--frobnicate'\n"),
    ],
)
def test_bad_options(argv: list[str], message: str) -> None:
    # gawk prints only the usage (status 1) for an unknown option; we also name it.
    r = awk(argv)
    assert r.status == 1
    assert r.err.startswith(message)
    assert "Usage: awk" in r.err


def test_program_text_after_double_dash_and_options_stop_at_program() -> None:
    r = awk(["--", "{ print $2 }", "-F,"], files={"-F,": "a,b c\n"})
    assert (r.status, r.out) == (0, "c\n")


def test_progfile_and_source_options() -> None:
    files = {
        "lib.awk": "function double(x) { return 2 * x }\n",
        "main.awk": "{ print double($1) }\n",
        "d.txt": "4\n",
    }
    r = awk(["-f", "lib.awk", "-f", "main.awk", "d.txt"], files=files)
    assert (r.status, r.out) == (0, "8\n")
    r = awk(["-f", "lib.awk", "-e", "BEGIN { print double(21) }"], files=files)
    assert (r.status, r.out) == (0, "42\n")
    files["colon.awk"] = "{ print $2 }\n"
    files["c.txt"] = "a:b\n"
    r = awk(["--file=colon.awk", "-F:", "c.txt"], files=files)
    assert (r.status, r.out) == (0, "b\n")


def test_progfile_errors_name_the_file() -> None:
    r = awk(["-f", "nofile.awk"])
    assert r.status == 2
    assert r.err == (
        "awk: fatal: cannot open source file `nofile.awk' for reading: No such file or directory\n"
    )
    r = awk(["-f", "bad.awk"], files={"bad.awk": "BEGIN {\n  x = 1 +* 2\n}\n"})
    assert r.status == 1
    assert r.err == "awk: bad.awk:2:   x = 1 +* 2\nawk: bad.awk:2:          ^ syntax error\n"
    r = awk(["-f", "rt.awk", "d"], files={"rt.awk": "{\n  z = 0\n  print 1 / z\n}\n", "d": "x\n"})
    assert r.status == 2
    assert r.err == "awk: rt.awk:3: (FILENAME=d FNR=1) fatal: division by zero attempted\n"


# -- the sandbox: paths, files ---------------------------------------------------------


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd"])
def test_input_path_escape_is_refused(path: str) -> None:
    r = awk(["{ print }", path])
    assert r.status == 2
    assert r.out == ""
    assert r.err == (
        f"awk: fatal: cannot open file `{path}' for reading: "
        "Permission denied (outside /workspace)\n"
    )


def test_getline_path_escape_returns_minus_one() -> None:
    r = awk(['BEGIN { print (getline x < "/etc/passwd"), (getline y < "../x"), "[" x "]" }'])
    assert (r.status, r.out) == (0, "-1 -1 []\n")


def test_output_path_escape_is_fatal() -> None:
    r = awk(['BEGIN { print "x" > "../escape.txt" }'])
    assert r.status == 2
    assert r.err == (
        "awk: cmd. line:1: fatal: cannot redirect to `../escape.txt': "
        "Permission denied (outside /workspace)\n"
    )


def test_progfile_path_escape() -> None:
    r = awk(["-f", "/etc/passwd"])
    assert r.status == 2
    assert "Permission denied (outside /workspace)" in r.err


def test_output_files_are_written_in_the_workspace() -> None:
    with BuiltinBench() as bb:
        bb.write("log.txt", "old\n")
        r = bb.run(["awk", '{ print $2 > ($1 ".txt"); print $0 >> "log.txt" }'], "a 1\nb 2\na 3\n")
        assert r.status == 0 and r.out == ""
        assert bb.read("a.txt") == b"1\n3\n"
        assert bb.read("b.txt") == b"2\n"
        assert bb.read("log.txt") == b"old\na 1\nb 2\na 3\n"


def test_many_output_files_reuse_descriptors() -> None:
    with BuiltinBench() as bb:
        bb.write("out/k140.txt", "old content\n")
        data = "".join(f"k{i % 150} {i}\n" for i in range(1500))
        r = bb.run(["awk", '{ print $2 > ("out/" $1 ".txt") } END { print "done" }'], data)
        assert (r.status, r.out) == (0, "done\n")
        assert bb.read("out/k5.txt") == "".join(f"{i}\n" for i in range(5, 1500, 150)).encode()
        # first written when 64 files were open: opened late, still truncated
        assert bb.read("out/k140.txt") == "".join(f"{i}\n" for i in range(140, 1500, 150)).encode()


def test_disk_budget_is_enforced() -> None:
    from corral.budget import Budget

    with BuiltinBench(Budget(disk_mb=0.1)) as bb:
        prog = 'BEGIN { for (i = 0; i < 100000; i++) print "xxxxxxxxxxxxxxxxxxxx" > "big.txt" }'
        r = bb.run(["awk", prog])
        assert r.status == 2
        assert r.err == (
            "awk: cmd. line:1: fatal: cannot write to `big.txt': "
            "No space left on device (disk budget of 0.1 MB)\n"
        )


def test_missing_output_directory_is_fatal() -> None:
    r = awk(['{ print > "nodir/x.txt" }'], "a\n")
    assert r.status == 2
    assert r.err == (
        "awk: cmd. line:1: (FILENAME=- FNR=1) fatal: cannot redirect to `nodir/x.txt': "
        "No such file or directory\n"
    )


# -- commands: system(), print | cmd, cmd | getline ---------------------------------------


def fake_shell(line: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    """A tiny stand-in for the shell: sort, cat, echo, exit N."""
    out = b""
    status = 0
    for part in line.split(";"):
        words = part.split()
        if not words:
            continue
        if words[0] == "sort":
            out += b"".join(sorted(stdin.splitlines(keepends=True)))
        elif words[0] == "cat":
            out += stdin
        elif words[0] == "echo":
            out += " ".join(words[1:]).encode() + b"\n"
        elif words[0] == "exit":
            return int(words[1]), out, b""
        elif words[0] == "warn":
            return 0, out, b"warned\n"
        else:
            return 127, out, f"sh: {words[0]}: not found\n".encode()
    return status, out, b""


def test_system_and_output_pipes() -> None:
    prog = (
        'BEGIN { print "b\\na" | "sort"; close("sort"); print "after"; '
        'r = system("exit 3"); print r; system("echo sys") }'
    )
    status, out, err = run_ctx([prog], extra={"run_line": fake_shell})
    assert (status, out, err) == (0, b"a\nb\nafter\n3\nsys\n", b"")


def test_command_getline() -> None:
    prog = (
        'BEGIN { "echo hi; echo there" | getline x; print x; "echo hi; echo there" | getline; '
        'print $0, NR; print close("echo hi; echo there"); '
        'while (("echo a; echo b" | getline l) > 0) print "L", l }'
    )
    status, out, _err = run_ctx([prog], extra={"run_line": fake_shell})
    assert (status, out) == (0, b"hi\nthere 0\n0\nL a\nL b\n")


def test_pipe_output_order_and_close_status() -> None:
    # gawk (output not a terminal): a pipe's command writes ahead of what awk
    # still buffers; close() returns the command's exit status.
    cases = [
        ('BEGIN { print "x" | "cat"; print "y" }', b"x\ny\n"),
        (
            'BEGIN { print "header"; print "b\\na" | "sort"; print "after" }',
            b"header\na\nb\nafter\n",
        ),
        ('BEGIN { print "x" | "exit 5"; print close("exit 5") }', b"5\n"),
    ]
    for prog, expected in cases:
        status, out, _err = run_ctx([prog], extra={"run_line": fake_shell})
        assert (status, out) == (0, expected)


def test_command_stderr_is_passed_on() -> None:
    status, out, err = run_ctx(['BEGIN { system("warn") }'], extra={"run_line": fake_shell})
    assert (status, out, err) == (0, b"", b"warned\n")


def test_run_line_without_stdin_parameter() -> None:
    def one_arg(line: str) -> tuple[int, bytes, bytes]:
        return fake_shell(line)

    status, out, _err = run_ctx(['BEGIN { system("echo hi") }'], extra={"run_line": one_arg})
    assert (status, out) == (0, b"hi\n")


def test_pipe_data_goes_as_here_document_when_run_line_takes_no_stdin() -> None:
    lines: list[str] = []

    def one_arg(line: str) -> tuple[int, bytes, bytes]:
        lines.append(line)
        return 0, b"ran\n", b""

    status, out, _err = run_ctx(['BEGIN { print "b\\na" | "sort" }'], extra={"run_line": one_arg})
    assert (status, out) == (0, b"ran\n")
    assert lines == ["{ sort\n} <<'AWK_PIPE_DATA'\nb\na\nAWK_PIPE_DATA\n"]


def test_commands_unavailable_without_shell() -> None:
    status, out, err = run_ctx(
        ['BEGIN { print system("true"); print ("date" | getline d); print "x" | "cat" }']
    )
    assert status == 0
    assert out == b"127\n-1\n"
    assert err == (
        b"awk: system() is not available here\n"
        b"awk: running commands is not available here (`date')\n"
        b"awk: running commands is not available here (`cat')\n"
    )


# -- hostile programs and inputs ---------------------------------------------------------


class Endless(io.RawIOBase):
    """An endless stream of lines (like `yes`)."""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        chunk = b"y\n" * (len(b) // 2)
        b[: len(chunk)] = chunk
        return len(chunk)


def test_endless_input_stops_at_exit() -> None:
    stdin = io.BufferedReader(Endless())
    status, out, _err = run_ctx(["NR == 3 { print NR, $0; exit }"], stdin=stdin, timeout=10)
    assert (status, out) == (0, b"3 y\n")


def test_endless_loop_is_cancelled() -> None:
    r = awk(["BEGIN { while (1) x++ }"], timeout=0.5)
    assert r.status == 124


def test_endless_input_is_cancelled() -> None:
    stdin = io.BufferedReader(Endless())
    with BuiltinBench() as bb:
        out, err = io.BytesIO(), io.BytesIO()
        ctx = CommandContext(
            argv=["awk", "{ n++ }"],
            stdin=stdin,
            stdout=out,
            stderr=err,
            env={},
            cwd="/workspace",
            ws=bb.ws,
            deadline=time.monotonic() + 0.5,
        )
        from corral.shell.command import Cancelled

        with pytest.raises(Cancelled):
            REGISTRY["awk"](ctx)


class ClosedPipe(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        raise BrokenPipeError()


def test_broken_pipe_stops_output() -> None:
    status, _out, _err = run_ctx(['BEGIN { while (1) print "y" }'], stdout=ClosedPipe())
    assert status == 141


def test_runaway_recursion_is_a_clean_error() -> None:
    r = awk(["function f(n) { return f(n + 1) } BEGIN { f(1) }"])
    assert r.status == 2
    assert r.err == (
        "awk: cmd. line:1: fatal: function `f': call nesting too deep (more than 1000 calls)\n"
    )


def test_deep_recursion_within_limit_in_a_thread() -> None:
    prog = "function f(n) { if (n == 0) return 0; return 1 + f(n - 1) } BEGIN { print f(990) }"
    results: list[BuiltinResult] = []
    t = threading.Thread(target=lambda: results.append(awk([prog])))
    t.start()
    t.join()
    assert (results[0].status, results[0].out) == (0, "990\n")


def test_deeply_nested_expression() -> None:
    r = awk(["BEGIN { print " + "(" * 2000 + "1" + ")" * 2000 + " }"])
    assert r.status in (0, 1)
    assert "Traceback" not in r.err
    if r.status == 0:
        assert r.out == "1\n"


def test_string_growth_is_limited() -> None:
    r = awk(['BEGIN { x = "ab"; while (1) x = x x }'])
    assert r.status == 2
    assert r.err == "awk: cmd. line:1: fatal: string too long\n"


@pytest.mark.parametrize(
    ("prog", "message"),
    [
        ('BEGIN { $2000000 = "x" }', "field index 2000000 too large"),
        ("BEGIN { NF = 5000000 }", "NF set to too large a value 5000000"),
        ('BEGIN { printf "%*d", 1000000000, 1 }', "printf: field width or precision too large"),
    ],
)
def test_huge_allocations_are_refused(prog: str, message: str) -> None:
    r = awk([prog])
    assert r.status == 2
    assert r.err == f"awk: cmd. line:1: fatal: {message}\n"


def test_large_input_is_fast() -> None:
    n = 200_000
    data = "".join(f"user{i % 97} {i} {i * 0.5} some more text\n" for i in range(n))
    start = time.monotonic()
    r = awk(["{ s += $2; c[$1]++ } END { print s, length(c), NR }"], data, timeout=120)
    elapsed = time.monotonic() - start
    assert (r.status, r.out) == (0, f"{n * (n - 1) // 2} 97 {n}\n")
    assert elapsed < 30


@pytest.mark.parametrize(
    "argv",
    [
        ["BEGIN { IGNORECASE = 1 }"],
        ["BEGINFILE { print FILENAME }"],
        ['BEGIN { FPAT = "([^,]+)" }'],
        ["-v", "IGNORECASE=1", "BEGIN { }"],
    ],
)
def test_unsupported_gawk_extensions_are_refused(argv: list[str]) -> None:
    # silently ignoring them would give wrong answers
    r = awk(argv, "x\n")
    assert r.status == 2
    assert "(a gawk extension) is not supported by this awk" in r.err

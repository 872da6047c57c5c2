"""Tests for the text built-ins (corral.shell.builtins.text).

Every expected output in CASES was produced by the real tool on the reference
machine (GNU coreutils 9.1, diffutils 3.8, findutils 4.9, util-linux 2.38
column/rev) run with LC_ALL=C and TZ=UTC over the same files (all with mtime
2024-01-02 03:04:05.5 UTC), then hard-coded here.
"""

from __future__ import annotations

import io
import os
import time

import pytest

from corral.shell.command import REGISTRY, CommandContext, command
from corral.shell.testing import BuiltinBench

MTIME = 1704164645.5

FILES: dict[str, bytes] = {
    "nums.txt": b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
    "ab.txt": b"a\nb",
    "words.txt": b"hello world\nfoo  bar baz\n\n",
    "colon.txt": b"a:b:c:d:e\nnodelim\n1:2\n",
    "data.txt": b"b 2 x\na 10 y\nc 1 z\nB 2 w\n a 3 v\nb 2 x\n",
    "csv.txt": b"x,3,b\ny,1,a\nz,2,c\nw,1,b\n",
    "dup.txt": b"a\na\nb\nA\na\nc\nc",
    "p1.txt": b"1\n2\n",
    "p2.txt": b"a\nb\nc\n",
    "s1.txt": b"a\nb\nd\n",
    "s2.txt": b"b\nc\nd\ne\n",
    "old.txt": b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
    "new.txt": b"a\nB\nc\nd\ne\nf\ng\nh\nj\nk\n",
    "nonl.txt": b"a",
    "bin1": b"a\x00b\n",
    "bin2": b"a\x00c\n",
    "d1/f": b"1\n",
    "d2/f": b"2\n",
    "d1/same": b"same\n",
    "d2/same": b"same\n",
    "d2/extra": b"x\n",
    "d1/sub/s": b"x\n",
    "d2/sub/s": b"y\n",
    "rep_a.txt": b"d\na\nc\nc\nb\nc\nd\nb\nc\na\nd\nc\nb\nb\nc\na\nd\nb\nb\nb\na\nb\nc\nc\na\n",
    "rep_b.txt": b"x\nd\na\nc\nc\nx\nc\nd\nb\nc\na\nd\nc\ny\nb\nc\na\nd\nb\nb\nb\nx\nc\nc\na\n",
    "swap_a.txt": b"a\nb\na\nb\n",
    "swap_b.txt": b"b\na\nb\na\n",
    "ws1.txt": b"a  b\nHello\nx\t\n",
    "ws2.txt": b"a b\nhello\nx\n",
}

# (id, argv, stdin, status, stdout, stderr)
CASES: list[tuple[str, list[str], bytes, int, bytes, bytes]] = [
    ("head_default", ["head", "nums.txt"], b"", 0, b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", b""),
    ("head_n", ["head", "-n", "2", "nums.txt"], b"", 0, b"1\n2\n", b""),
    ("head_shorthand", ["head", "-3", "nums.txt"], b"", 0, b"1\n2\n3\n", b""),
    ("head_neg_n", ["head", "-n", "-9", "nums.txt"], b"", 0, b"1\n2\n3\n", b""),
    ("head_c", ["head", "-c", "5", "nums.txt"], b"", 0, b"1\n2\n3", b""),
    ("head_neg_c", ["head", "-c", "-20", "nums.txt"], b"", 0, b"1\n2\n3\n4", b""),
    (
        "head_multi",
        ["head", "-n1", "nums.txt", "-", "ab.txt"],
        b"x\ny\n",
        0,
        b"==> nums.txt <==\n1\n\n==> standard input <==\nx\n\n==> ab.txt <==\na\n",
        b"",
    ),
    ("head_quiet", ["head", "-q", "-n1", "nums.txt", "ab.txt"], b"", 0, b"1\na\n", b""),
    (
        "head_verbose_long",
        ["head", "-v", "--lines=1", "nums.txt"],
        b"",
        0,
        b"==> nums.txt <==\n1\n",
        b"",
    ),
    (
        "head_bad_num",
        ["head", "-n", "abc", "nums.txt"],
        b"",
        1,
        b"",
        b"head: invalid number of lines: 'abc'\n",
    ),
    (
        "head_missing",
        ["head", "-n1", "nope", "ab.txt"],
        b"",
        1,
        b"==> ab.txt <==\na\n",
        b"head: cannot open 'nope' for reading: No such file or directory\n",
    ),
    ("head_dir", ["head", "d1"], b"", 1, b"", b"head: error reading 'd1': Is a directory\n"),
    (
        "head_bad_opt",
        ["head", "-Z"],
        b"",
        1,
        b"",
        b"head: invalid option -- 'Z'\nTry 'head --help' for more information.\n",
    ),
    ("tail_default", ["tail", "nums.txt"], b"", 0, b"3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", b""),
    ("tail_n", ["tail", "-n", "2", "nums.txt"], b"", 0, b"11\n12\n", b""),
    ("tail_plus", ["tail", "-n", "+11", "nums.txt"], b"", 0, b"11\n12\n", b""),
    ("tail_shorthand", ["tail", "-3", "nums.txt"], b"", 0, b"10\n11\n12\n", b""),
    ("tail_c", ["tail", "-c", "4", "nums.txt"], b"", 0, b"\n12\n", b""),
    ("tail_c_plus", ["tail", "-c", "+3", "ab.txt"], b"", 0, b"b", b""),
    ("tail_no_trailing_nl", ["tail", "-n", "1", "ab.txt"], b"", 0, b"b", b""),
    ("tail_stdin", ["tail", "-n", "2"], b"a\nb\nc", 0, b"b\nc", b""),
    (
        "tail_multi",
        ["tail", "-n1", "nums.txt", "ab.txt"],
        b"",
        0,
        b"==> nums.txt <==\n12\n\n==> ab.txt <==\nb",
        b"",
    ),
    (
        "tail_obsolete_two_files",
        ["tail", "-3", "nums.txt", "ab.txt"],
        b"",
        1,
        b"",
        b"tail: option used in invalid context -- 3\n",
    ),
    (
        "tail_missing",
        ["tail", "nope"],
        b"",
        1,
        b"",
        b"tail: cannot open 'nope' for reading: No such file or directory\n",
    ),
    ("wc_default", ["wc", "words.txt"], b"", 0, b" 3  5 26 words.txt\n", b""),
    ("wc_l", ["wc", "-l", "words.txt"], b"", 0, b"3 words.txt\n", b""),
    (
        "wc_multi_total",
        ["wc", "words.txt", "nums.txt"],
        b"",
        0,
        b" 3  5 26 words.txt\n12 12 27 nums.txt\n15 17 53 total\n",
        b"",
    ),
    ("wc_stdin", ["wc"], b"one two\nthree\n", 0, b"      2       3      14\n", b""),
    ("wc_stdin_l", ["wc", "-l"], b"one two\nthree\n", 0, b"2\n", b""),
    ("wc_c_m_w", ["wc", "-cmw", "words.txt"], b"", 0, b" 5 26 26 words.txt\n", b""),
    ("wc_L", ["wc", "-L"], b"ab\tc\nxyz\n", 0, b"9\n", b""),
    (
        "wc_stdin_operand",
        ["wc", "-l", "words.txt", "-"],
        b"\n",
        0,
        b"      3 words.txt\n      1 -\n      4 total\n",
        b"",
    ),
    (
        "wc_missing",
        ["wc", "words.txt", "nope"],
        b"",
        1,
        b" 3  5 26 words.txt\n 3  5 26 total\n",
        b"wc: nope: No such file or directory\n",
    ),
    ("wc_dir", ["wc", "d1"], b"", 1, b"      0       0       0 d1\n", b"wc: d1: Is a directory\n"),
    ("cut_f", ["cut", "-d:", "-f2", "colon.txt"], b"", 0, b"b\nnodelim\n2\n", b""),
    (
        "cut_f_list",
        ["cut", "-d:", "-f1,3-4,5-", "colon.txt"],
        b"",
        0,
        b"a:c:d:e\nnodelim\n1\n",
        b"",
    ),
    ("cut_s", ["cut", "-d", ":", "-s", "-f2", "colon.txt"], b"", 0, b"b\n2\n", b""),
    (
        "cut_complement",
        ["cut", "-d:", "--complement", "-f2", "colon.txt"],
        b"",
        0,
        b"a:c:d:e\nnodelim\n1\n",
        b"",
    ),
    (
        "cut_out_delim",
        ["cut", "-d:", "-f1,3", "--output-delimiter= | ", "colon.txt"],
        b"",
        0,
        b"a | c\nnodelim\n1\n",
        b"",
    ),
    ("cut_c_ranges", ["cut", "-c", "-2,4-5,7-"], b"abcdefgh\nxy\n", 0, b"abdegh\nxy\n", b""),
    (
        "cut_b_out_delim",
        ["cut", "-b", "1-2,4-5", "--output-delimiter=:"],
        b"abcdef\n",
        0,
        b"ab:de\n",
        b"",
    ),
    ("cut_tab_default", ["cut", "-f2"], b"a\tb\tc\nno tab\n", 0, b"b\nno tab\n", b""),
    (
        "cut_no_list",
        ["cut", "colon.txt"],
        b"",
        1,
        b"",
        b"cut: you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.\n",
    ),
    (
        "cut_zero",
        ["cut", "-f0", "colon.txt"],
        b"",
        1,
        b"",
        b"cut: fields are numbered from 1\nTry 'cut --help' for more information.\n",
    ),
    (
        "cut_decreasing",
        ["cut", "-c", "3-1"],
        b"x\n",
        1,
        b"",
        b"cut: invalid decreasing range\nTry 'cut --help' for more information.\n",
    ),
    (
        "cut_bad_delim",
        ["cut", "-d", "ab", "-f1"],
        b"x\n",
        1,
        b"",
        b"cut: the delimiter must be a single character\nTry 'cut --help' for more information.\n",
    ),
    ("tr_upper", ["tr", "a-z", "A-Z"], b"Hello World\n", 0, b"HELLO WORLD\n", b""),
    (
        "tr_classes",
        ["tr", "[:lower:]", "[:upper:]"],
        b"Hello World 123\n",
        0,
        b"HELLO WORLD 123\n",
        b"",
    ),
    ("tr_pad_set2", ["tr", "a-y", "bc"], b"hello\n", 0, b"ccccc\n", b""),
    ("tr_truncate", ["tr", "-t", "a-y", "bc"], b"hello\n", 0, b"hello\n", b""),
    ("tr_delete_digits", ["tr", "-d", "[:digit:]"], b"a1b22c333\n", 0, b"abc\n", b""),
    ("tr_squeeze", ["tr", "-s", " "], b"a  b   c\n", 0, b"a b c\n", b""),
    (
        "tr_complement_delete",
        ["tr", "-cd", "[:alnum:]\\n"],
        b"he!!o, w0rld?\n",
        0,
        b"heow0rld\n",
        b"",
    ),
    (
        "tr_complement_squeeze",
        ["tr", "-cs", "[:alpha:]", "\\n"],
        b"one, two;;three\n",
        0,
        b"one\ntwo\nthree\n",
        b"",
    ),
    ("tr_delete_squeeze", ["tr", "-ds", "[:punct:]", " "], b"a,  b..   c\n", 0, b"a b c\n", b""),
    ("tr_escapes", ["tr", "\\t\\\\", "\\n/"], b"a\tb\\c\n", 0, b"a\nb/c\n", b""),
    ("tr_space_class", ["tr", "[:space:]", "_"], b"a b\tc\n", 0, b"a_b_c_", b""),
    ("tr_repeat", ["tr", "a-e", "x[y*]z"], b"abcde\n", 0, b"xyyyz\n", b""),
    (
        "tr_missing_set2",
        ["tr", "a"],
        b"abc\n",
        1,
        b"",
        b"tr: missing operand after 'a'\nTwo strings must be given when translating.\nTry 'tr --help' for more information.\n",
    ),
    (
        "tr_reverse_range",
        ["tr", "z-a", "x"],
        b"abc\n",
        1,
        b"",
        b"tr: range-endpoints of 'z-a' are in reverse collating sequence order\n",
    ),
    (
        "tr_bad_class_set2",
        ["tr", "a", "[:digit:]"],
        b"abc\n",
        1,
        b"",
        b"tr: when translating, the only character classes that may appear in\nstring2 are 'upper' and 'lower'\n",
    ),
    ("sort_default", ["sort"], b"b\nA\na\nB\n_\n10\n9\n", 0, b"10\n9\nA\nB\n_\na\nb\n", b""),
    (
        "sort_reverse",
        ["sort", "-r", "data.txt"],
        b"",
        0,
        b"c 1 z\nb 2 x\nb 2 x\na 10 y\nB 2 w\n a 3 v\n",
        b"",
    ),
    (
        "sort_numeric",
        ["sort", "-n"],
        b"10\n9\n-1\n1.5\n-0\n0\nabc\n\n 7\n.5\n",
        0,
        b"-1\n\n-0\n0\nabc\n.5\n1.5\n 7\n9\n10\n",
        b"",
    ),
    (
        "sort_numeric_reverse_unique",
        ["sort", "-nru"],
        b"10\n9\n-1\n1.5\n-0\n0\nabc\n\n 7\n.5\n",
        0,
        b"10\n9\n 7\n1.5\n.5\n-0\n-1\n",
        b"",
    ),
    (
        "sort_key_numeric",
        ["sort", "-k2,2n", "data.txt"],
        b"",
        0,
        b"c 1 z\nB 2 w\nb 2 x\nb 2 x\n a 3 v\na 10 y\n",
        b"",
    ),
    (
        "sort_key_flags",
        ["sort", "-k3nr", "-k1,1", "data.txt"],
        b"",
        0,
        b" a 3 v\nB 2 w\na 10 y\nb 2 x\nb 2 x\nc 1 z\n",
        b"",
    ),
    (
        "sort_global_reverse_key",
        ["sort", "-r", "-k2,2n", "data.txt"],
        b"",
        0,
        b"c 1 z\nb 2 x\nb 2 x\nB 2 w\n a 3 v\na 10 y\n",
        b"",
    ),
    (
        "sort_sep_key",
        ["sort", "-t,", "-k2,2n", "-k3", "csv.txt"],
        b"",
        0,
        b"y,1,a\nw,1,b\nz,2,c\nx,3,b\n",
        b"",
    ),
    (
        "sort_unique",
        ["sort", "-u", "data.txt"],
        b"",
        0,
        b" a 3 v\nB 2 w\na 10 y\nb 2 x\nc 1 z\n",
        b"",
    ),
    ("sort_fold", ["sort", "-f"], b"b\nB\na\nA\n_\n", 0, b"A\na\nB\nb\n_\n", b""),
    ("sort_fold_unique", ["sort", "-fu"], b"a\nA\nb\nB\na\n", 0, b"a\nb\n", b""),
    ("sort_blanks", ["sort", "-b", "-k2"], b"x   b\ny a\nz  c\n", 0, b"y a\nx   b\nz  c\n", b""),
    (
        "sort_human",
        ["sort", "-h"],
        b"1K\n2M\n512\n1G\n-1K\n0\n3k\n1.5K\n",
        0,
        b"-1K\n0\n512\n1K\n1.5K\n3k\n2M\n1G\n",
        b"",
    ),
    (
        "sort_version",
        ["sort", "-V"],
        b"file10.txt\nfile2.txt\nfile1.txt\nv1.10\nv1.9\n1.0~rc1\n1.0\n",
        0,
        b"1.0~rc1\n1.0\nfile1.txt\nfile2.txt\nfile10.txt\nv1.9\nv1.10\n",
        b"",
    ),
    (
        "sort_stable",
        ["sort", "-s", "-k1,1"],
        b"b 2\na 2\nb 1\na 1\n",
        0,
        b"a 2\na 1\nb 2\nb 1\n",
        b"",
    ),
    ("sort_check", ["sort", "-c"], b"a\nc\nb\n", 1, b"", b"sort: -:3: disorder: b\n"),
    ("sort_check_quiet", ["sort", "-C"], b"b\na\n", 1, b"", b""),
    ("sort_multi_files", ["sort", "s1.txt", "s2.txt"], b"", 0, b"a\nb\nb\nc\nd\nd\ne\n", b""),
    (
        "sort_bad_key",
        ["sort", "-k", "0"],
        b"",
        2,
        b"",
        b"sort: field number is zero: invalid field specification '0'\n",
    ),
    (
        "sort_missing",
        ["sort", "nope"],
        b"",
        2,
        b"",
        b"sort: cannot read: nope: No such file or directory\n",
    ),
    (
        "sort_incompatible",
        ["sort", "-n", "-g"],
        b"1\n",
        2,
        b"",
        b"sort: options '-gn' are incompatible\n",
    ),
    ("uniq_default", ["uniq", "dup.txt"], b"", 0, b"a\nb\nA\na\nc\n", b""),
    (
        "uniq_count",
        ["uniq", "-c", "dup.txt"],
        b"",
        0,
        b"      2 a\n      1 b\n      1 A\n      1 a\n      2 c\n",
        b"",
    ),
    ("uniq_repeated", ["uniq", "-d", "dup.txt"], b"", 0, b"a\nc\n", b""),
    ("uniq_unique", ["uniq", "-u", "dup.txt"], b"", 0, b"b\nA\na\n", b""),
    (
        "uniq_icase_count",
        ["uniq", "-ci", "dup.txt"],
        b"",
        0,
        b"      2 a\n      1 b\n      2 A\n      2 c\n",
        b"",
    ),
    (
        "uniq_skip_fields",
        ["uniq", "-f1", "-c"],
        b"x a\ny a\nz b\n",
        0,
        b"      2 x a\n      1 z b\n",
        b"",
    ),
    ("uniq_skip_chars", ["uniq", "-s1"], b"xa\nya\nzb\n", 0, b"xa\nzb\n", b""),
    ("uniq_all_repeated", ["uniq", "-D", "dup.txt"], b"", 0, b"a\na\nc\nc\n", b""),
    (
        "uniq_extra_operand",
        ["uniq", "a", "b", "c"],
        b"",
        1,
        b"",
        b"uniq: extra operand 'c'\nTry 'uniq --help' for more information.\n",
    ),
    ("nl_default", ["nl"], b"a\n\nb\n", 0, b"     1\ta\n       \n     2\tb\n", b""),
    ("nl_all", ["nl", "-ba"], b"a\n\nb\n", 0, b"     1\ta\n     2\t\n     3\tb\n", b""),
    (
        "nl_formats",
        ["nl", "-n", "rz", "-w3", "-s", ": ", "-v", "5", "-i", "2"],
        b"a\nb\n",
        0,
        b"005: a\n007: b\n",
        b"",
    ),
    ("nl_ln", ["nl", "-nln"], b"a\nb", 0, b"1     \ta\n2     \tb\n", b""),
    (
        "nl_regex",
        ["nl", "-b", "p^[0-9]"],
        b"1x\nab\n2y\n",
        0,
        b"     1\t1x\n       ab\n     2\t2y\n",
        b"",
    ),
    (
        "nl_bad_format",
        ["nl", "-n", "xx"],
        b"a\n",
        1,
        b"",
        b"nl: invalid line numbering format: 'xx'\nTry 'nl --help' for more information.\n",
    ),
    ("rev", ["rev"], b"abc\nhello world\nno newline", 0, b"cba\ndlrow olleh\nenilwen on", b""),
    ("tac", ["tac"], b"a\nb\nc", 0, b"cb\na\n", b""),
    ("tac_sep_before", ["tac", "-b", "-s", ","], b"a,b,c", 0, b",c,ba", b""),
    ("tac_files", ["tac", "p1.txt", "p2.txt"], b"", 0, b"2\n1\nc\nb\na\n", b""),
    ("paste_parallel", ["paste", "p1.txt", "p2.txt"], b"", 0, b"1\ta\n2\tb\n\tc\n", b""),
    (
        "paste_delims",
        ["paste", "-d", ",;", "p1.txt", "p2.txt", "p1.txt"],
        b"",
        0,
        b"1,a;1\n2,b;2\n,c;\n",
        b"",
    ),
    ("paste_serial", ["paste", "-s", "-d,", "p1.txt", "p2.txt"], b"", 0, b"1,2\na,b,c\n", b""),
    ("paste_stdin_columns", ["paste", "-", "-", "-"], b"a\nb\nc\nd\n", 0, b"a\tb\tc\nd\t\t\n", b""),
    (
        "paste_bad_delims",
        ["paste", "-d", "\\", "p1.txt"],
        b"",
        1,
        b"",
        b"paste: delimiter list ends with an unescaped backslash: \\\n",
    ),
    ("comm_default", ["comm", "s1.txt", "s2.txt"], b"", 0, b"a\n\t\tb\n\tc\n\t\td\n\te\n", b""),
    ("comm_12", ["comm", "-12", "s1.txt", "s2.txt"], b"", 0, b"b\nd\n", b""),
    ("comm_3", ["comm", "-3", "s1.txt", "s2.txt"], b"", 0, b"a\n\tc\n\te\n", b""),
    (
        "comm_out_delim",
        ["comm", "--output-delimiter=|", "s1.txt", "s2.txt"],
        b"",
        0,
        b"a\n||b\n|c\n||d\n|e\n",
        b"",
    ),
    (
        "comm_unsorted",
        ["comm", "-", "s2.txt"],
        b"b\na\n",
        1,
        b"\t\tb\na\n\tc\n\td\n\te\n",
        b"comm: file 1 is not in sorted order\ncomm: input is not in sorted order\n",
    ),
    (
        "comm_missing_operand",
        ["comm", "s1.txt"],
        b"",
        1,
        b"",
        b"comm: missing operand after 's1.txt'\nTry 'comm --help' for more information.\n",
    ),
    (
        "column_table",
        ["column", "-t"],
        b"name size\nlonger_name 1\n\nx\n",
        0,
        b"name         size\nlonger_name  1\nx            \n",
        b"",
    ),
    (
        "column_sep_out",
        ["column", "-t", "-s", ",", "-o", " | "],
        b"a,b,,c\nxx,,y\n",
        0,
        b"a  | b |   | c\nxx |   | y | \n",
        b"",
    ),
    (
        "column_fill",
        ["column", "-c", "30"],
        b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
        0,
        b"1\t6\t11\n2\t7\t12\n3\t8\t13\n4\t9\t14\n5\t10\t15\n",
        b"",
    ),
    (
        "column_fillrows",
        ["column", "-x", "-c", "30"],
        b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n",
        0,
        b"1\t2\t3\n4\t5\t6\n7\t8\t9\n10\t11\t12\n13\t14\t15\n",
        b"",
    ),
    (
        "diff_normal",
        ["diff", "old.txt", "new.txt"],
        b"",
        1,
        b"2c2\n< b\n---\n> B\n9d8\n< i\n10a10\n> k\n",
        b"",
    ),
    (
        "diff_unified",
        ["diff", "-u", "old.txt", "new.txt"],
        b"",
        1,
        b"--- old.txt\t2024-01-02 03:04:05.500000000 +0000\n+++ new.txt\t2024-01-02 03:04:05.500000000 +0000\n@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n-i\n j\n+k\n",
        b"",
    ),
    (
        "diff_unified_1",
        ["diff", "-U1", "old.txt", "new.txt"],
        b"",
        1,
        b"--- old.txt\t2024-01-02 03:04:05.500000000 +0000\n+++ new.txt\t2024-01-02 03:04:05.500000000 +0000\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -8,3 +8,3 @@\n h\n-i\n j\n+k\n",
        b"",
    ),
    (
        "diff_context",
        ["diff", "-c", "old.txt", "new.txt"],
        b"",
        1,
        b"*** old.txt\tTue Jan  2 03:04:05 2024\n--- new.txt\tTue Jan  2 03:04:05 2024\n***************\n*** 1,10 ****\n  a\n! b\n  c\n  d\n  e\n  f\n  g\n  h\n- i\n  j\n--- 1,10 ----\n  a\n! B\n  c\n  d\n  e\n  f\n  g\n  h\n  j\n+ k\n",
        b"",
    ),
    ("diff_same", ["diff", "old.txt", "old.txt"], b"", 0, b"", b""),
    (
        "diff_brief",
        ["diff", "-q", "old.txt", "new.txt"],
        b"",
        1,
        b"Files old.txt and new.txt differ\n",
        b"",
    ),
    (
        "diff_no_newline",
        ["diff", "-u", "nonl.txt", "p2.txt"],
        b"",
        1,
        b"--- nonl.txt\t2024-01-02 03:04:05.500000000 +0000\n+++ p2.txt\t2024-01-02 03:04:05.500000000 +0000\n@@ -1 +1,3 @@\n-a\n\\ No newline at end of file\n+a\n+b\n+c\n",
        b"",
    ),
    ("diff_stdin", ["diff", "-", "p2.txt"], b"a\nc\nd\n", 1, b"1a2\n> b\n3d3\n< d\n", b""),
    (
        "diff_missing",
        ["diff", "old.txt", "nope"],
        b"",
        2,
        b"",
        b"diff: nope: No such file or directory\n",
    ),
    ("diff_new_file", ["diff", "-N", "p1.txt", "nope"], b"", 1, b"1,2d0\n< 1\n< 2\n", b""),
    ("diff_binary", ["diff", "bin1", "bin2"], b"", 1, b"Binary files bin1 and bin2 differ\n", b""),
    (
        "diff_dirs",
        ["diff", "d1", "d2"],
        b"",
        1,
        b"Only in d2: extra\ndiff d1/f d2/f\n1c1\n< 1\n---\n> 2\nCommon subdirectories: d1/sub and d2/sub\n",
        b"",
    ),
    (
        "diff_recursive",
        ["diff", "-ru", "d1", "d2"],
        b"",
        1,
        b"Only in d2: extra\ndiff -ru d1/f d2/f\n--- d1/f\t2024-01-02 03:04:05.500000000 +0000\n+++ d2/f\t2024-01-02 03:04:05.500000000 +0000\n@@ -1 +1 @@\n-1\n+2\ndiff -ru d1/sub/s d2/sub/s\n--- d1/sub/s\t2024-01-02 03:04:05.500000000 +0000\n+++ d2/sub/s\t2024-01-02 03:04:05.500000000 +0000\n@@ -1 +1 @@\n-x\n+y\n",
        b"",
    ),
    (
        "diff_repeats_normal",
        ["diff", "rep_a.txt", "rep_b.txt"],
        b"",
        1,
        b"0a1\n> x\n5c6\n< b\n---\n> x\n13c14\n< b\n---\n> y\n21,22c22\n< a\n< b\n---\n> x\n",
        b"",
    ),
    (
        "diff_repeats_unified",
        ["diff", "-u", "rep_a.txt", "rep_b.txt"],
        b"",
        1,
        b"--- rep_a.txt\t2024-01-02 03:04:05.500000000 +0000\n+++ rep_b.txt\t2024-01-02 03:04:05.500000000 +0000\n@@ -1,8 +1,9 @@\n+x\n d\n a\n c\n c\n-b\n+x\n c\n d\n b\n@@ -10,7 +11,7 @@\n a\n d\n c\n-b\n+y\n b\n c\n a\n@@ -18,8 +19,7 @@\n b\n b\n b\n-a\n-b\n+x\n c\n c\n a\n",
        b"",
    ),
    ("diff_swap", ["diff", "swap_a.txt", "swap_b.txt"], b"", 1, b"1d0\n< a\n4a4\n> a\n", b""),
    ("diff_ignore", ["diff", "-iw", "ws1.txt", "ws2.txt"], b"", 0, b"", b""),
    (
        "diff_file_in_dir",
        ["diff", "p1.txt", "d1"],
        b"",
        2,
        b"",
        b"diff: d1/p1.txt: No such file or directory\n",
    ),
    ("xargs_default_echo", ["xargs"], b"a b  c\nd\n", 0, b"a b c d\n", b""),
    ("xargs_n", ["xargs", "-n", "2", "echo"], b"1 2 3\n4 5\n", 0, b"1 2\n3 4\n5\n", b""),
    (
        "xargs_quotes",
        ["xargs", "-n1", "echo"],
        b"'a b' \"c d\" e\\ f\n",
        0,
        b"a b\nc d\ne f\n",
        b"",
    ),
    (
        "xargs_I",
        ["xargs", "-I{}", "echo", "<{}>", "{}"],
        b"  one two\nthree\n",
        0,
        b"<one two> one two\n<three> three\n",
        b"",
    ),
    ("xargs_null", ["xargs", "-0", "-n1", "echo"], b"a b\x00c\x00", 0, b"a b\nc\n", b""),
    ("xargs_delim", ["xargs", "-d", "\\n", "-n1", "echo"], b"a b\n\nc\n", 0, b"a b\n\nc\n", b""),
    ("xargs_empty_runs_once", ["xargs", "echo", "hi"], b"", 0, b"hi\n", b""),
    ("xargs_r", ["xargs", "-r", "echo", "hi"], b"", 0, b"", b""),
    ("xargs_t", ["xargs", "-t", "-n2", "echo"], b"a b c\n", 0, b"a b\nc\n", b"echo a b\necho c\n"),
    ("xargs_L", ["xargs", "-L1", "echo"], b"a b \nc\nd\n", 0, b"a b c\nd\n", b""),
    (
        "xargs_unmatched_quote",
        ["xargs", "echo"],
        b'a b "c\n',
        1,
        b"a b\n",
        b"xargs: unmatched double quote; by default quotes are special to xargs unless you use the -0 option\n",
    ),
    (
        "xargs_bad_n",
        ["xargs", "-n", "0"],
        b"x\n",
        1,
        b"",
        b"xargs: value 0 for -n option should be >= 1\nTry 'xargs --help' for more information.\n",
    ),
    ("xargs_failing_cmd", ["xargs", "false"], b"a\n", 123, b"", b""),
]


def _bench() -> BuiltinBench:
    bb = BuiltinBench()
    for name, data in FILES.items():
        host = bb.write(name, data)
        os.utime(host, (MTIME, MTIME))
    return bb


@pytest.mark.parametrize(
    ("argv", "stdin", "status", "stdout", "stderr"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_against_gnu(
    argv: list[str], stdin: bytes, status: int, stdout: bytes, stderr: bytes
) -> None:
    with _bench() as bb:
        r = bb.run(argv, stdin)
    assert (r.status, r.stdout, r.stderr) == (status, stdout, stderr)


# -- hostile inputs: path escapes ---------------------------------------------

ESCAPES = [
    ["head", "../../etc/passwd"],
    ["tail", "/etc/passwd"],
    ["wc", "-l", "../x"],
    ["cut", "-d:", "-f1", "/etc/passwd"],
    ["sort", "/etc/passwd"],
    ["uniq", "/etc/passwd"],
    ["nl", "../../etc/passwd"],
    ["rev", "/etc/passwd"],
    ["tac", "/etc/passwd"],
    ["paste", "/etc/passwd"],
    ["comm", "/etc/passwd", "s1.txt"],
    ["column", "/etc/passwd"],
    ["diff", "/etc/passwd", "s1.txt"],
    ["diff", "-r", "d1", "../.."],
    ["xargs", "-a", "/etc/passwd", "echo"],
]


@pytest.mark.parametrize("argv", ESCAPES, ids=[" ".join(a) for a in ESCAPES])
def test_reading_outside_workspace_is_refused(argv: list[str]) -> None:
    with _bench() as bb:
        r = bb.run(argv)
    assert r.status != 0
    assert b"root:" not in r.stdout
    assert "outside /workspace" in r.err


def test_writing_outside_workspace_is_refused() -> None:
    with _bench() as bb:
        outside = bb.root.parent / "corral-text-escape-probe"
        r1 = bb.run(["sort", "-o", "../corral-text-escape-probe", "s1.txt"])
        r2 = bb.run(["uniq", "s1.txt", "/workspace/../corral-text-escape-probe"])
        r3 = bb.run(["tee", "../corral-text-escape-probe", "ok.txt"], b"data\n")
        assert not outside.exists()
    assert r1.status == 2 and "outside /workspace" in r1.err
    assert r2.status == 1 and "outside /workspace" in r2.err
    # tee reports the bad file but still writes stdout and the other file.
    assert r3.status == 1 and r3.stdout == b"data\n"
    assert "tee: ../corral-text-escape-probe: Permission denied" in r3.err


# -- streaming and large inputs ----------------------------------------------


class _Endless(io.RawIOBase):
    """An endless 'y\\n' stream that counts what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = min(len(b), 4096)
        b[:n] = (b"y\n" * (n // 2 + 1))[:n]
        self.served += n
        return n


def _run_ctx(argv: list[str], stdin: io.RawIOBase) -> tuple[int, bytes, CommandContext]:
    bb = _bench()
    out = io.BytesIO()
    ctx = CommandContext(
        argv=argv,
        stdin=io.BufferedReader(stdin),
        stdout=out,
        stderr=io.BytesIO(),
        env={},
        cwd="/workspace",
        ws=bb.ws,
        deadline=time.monotonic() + 10,
    )
    try:
        status = REGISTRY[argv[0]](ctx)
    finally:
        bb.__exit__(None, None, None)
    return status, out.getvalue(), ctx


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["head", "-1"], b"y\n"),
        (["head", "-n", "3"], b"y\ny\ny\n"),
        (["head", "-c", "5"], b"y\ny\ny"),
    ],
)
def test_head_stops_reading_endless_input(argv: list[str], expected: bytes) -> None:
    src = _Endless()
    status, out, _ = _run_ctx(argv, src)
    assert status == 0 and out == expected
    assert src.served < 100_000


def test_large_inputs_stream() -> None:
    lines = b"".join(b"%d\n" % i for i in range(300_000))
    with _bench() as bb:
        bb.write("big.txt", lines)
        assert bb.run(["tail", "-n", "2"], lines).stdout == b"299998\n299999\n"
        assert bb.run(["tail", "-n", "2", "big.txt"]).stdout == b"299998\n299999\n"
        assert bb.run(["tail", "-c", "7", "big.txt"]).stdout == b"299999\n"
        assert bb.run(["tail", "-n", "+299999", "big.txt"]).stdout == b"299998\n299999\n"
        assert bb.run(["wc", "-l", "big.txt"]).stdout == b"300000 big.txt\n"
        assert bb.run(["tr", "-s", "a"], b"a" * 200_000 + b"\n").stdout == b"a\n"
        r = bb.run(["sort", "-n", "-r", "big.txt"])
        assert r.stdout.split(b"\n", 2)[:2] == [b"299999", b"299998"]
        r = bb.run(["uniq", "-c"], b"x\n" * 100_000)
        assert r.stdout == b" 100000 x\n"


_BINARY = bytes(range(256)) * 3 + b"\xff\xfe\x00\n\x80abc\n\x00\x00"

_BINARY_ARGVS = [
    ["head", "-n", "2"],
    ["tail", "-c", "10"],
    ["wc"],
    ["wc", "-mL"],
    ["cut", "-c", "1-3"],
    ["cut", "-d", ",", "-f", "2"],
    ["tr", "\\000-\\377", "a"],
    ["tr", "-d", "[:cntrl:]"],
    ["sort", "-n"],
    ["sort", "-V", "-k2"],
    ["sort", "-h", "-u"],
    ["uniq", "-c", "-i"],
    ["nl", "-ba"],
    ["rev"],
    ["tac"],
    ["paste", "-s"],
    ["column", "-t"],
    ["tee", "copy.bin"],
    ["diff", "-", "s1.txt"],
    ["diff", "-a", "-u", "-", "s1.txt"],
    ["xargs", "-0", "echo"],
]


@pytest.mark.parametrize("argv", _BINARY_ARGVS, ids=[" ".join(a) for a in _BINARY_ARGVS])
def test_binary_input_does_not_crash(argv: list[str]) -> None:
    with _bench() as bb:
        r = bb.run(argv, _BINARY)
    assert r.status in (0, 1)
    assert "Traceback" not in r.err


# -- behaviour checked against the real tools, beyond the table ---------------


def test_tee_files_append_and_failures() -> None:
    with _bench() as bb:
        bb.write("log.txt", "old\n")
        r = bb.run(["tee", "out.txt", "nodir/x", "-"], b"a\nb\n")
        # GNU tee: "tee: nodir/x: No such file or directory", status 1, the
        # rest still written ('-' is a file named '-' for GNU tee).
        assert r.status == 1
        assert r.stdout == b"a\nb\n"
        assert r.err == "tee: nodir/x: No such file or directory\n"
        assert bb.read("out.txt") == b"a\nb\n"
        assert bb.read("-") == b"a\nb\n"
        r = bb.run(["tee", "-a", "log.txt"], b"new\n")
        assert r.status == 0 and bb.read("log.txt") == b"old\nnew\n"


def test_sort_output_file_may_be_an_input() -> None:
    with _bench() as bb:
        r = bb.run(["sort", "-r", "-o", "s1.txt", "s1.txt"])
        assert r.status == 0 and r.stdout == b""
        assert bb.read("s1.txt") == b"d\nb\na\n"


def test_uniq_output_operand() -> None:
    with _bench() as bb:
        r = bb.run(["uniq", "-c", "-", "counts.txt"], b"a\na\nb\n")
        assert r.status == 0 and r.stdout == b""
        assert bb.read("counts.txt") == b"      2 a\n      1 b\n"


def test_tail_follow_is_refused() -> None:
    with _bench() as bb:
        r = bb.run(["tail", "-f", "nums.txt"])
    assert r.status == 1 and "not supported" in r.err


def test_wc_chars_count_utf8() -> None:
    # LC_ALL=C.UTF-8 wc -m prints 12 for this line.
    with _bench() as bb:
        r = bb.run(["wc", "-m"], "h\u00e9llo w\u00f6rld\n".encode())
    assert r.stdout == b"12\n"


def test_sort_is_byte_order() -> None:
    # LC_ALL=C sort: Z a z \xc3\xa9
    with _bench() as bb:
        r = bb.run(["sort"], "\u00e9\nz\na\nZ\n".encode())
    assert r.stdout == b"Z\na\nz\n\xc3\xa9\n"


# -- xargs exit statuses, with probe commands ----------------------------------


def _probe(ctx: CommandContext) -> int:
    """Usage: t-text-probe [exit=N] ARGS: print ARGS and the stdin size."""
    data = ctx.stdin.read()
    args = [a for a in ctx.args if not a.startswith("exit=")]
    ctx.out(" ".join(args) + f" <{len(data)}>\n")
    for a in ctx.args:
        if a.startswith("exit="):
            return int(a[5:])
    return 0


if "t-text-probe" not in REGISTRY:
    command("t-text-probe")(_probe)


@pytest.mark.parametrize(
    ("argv", "status", "stdout", "err"),
    [
        (["xargs", "-n1", "t-text-probe"], 0, b"a <0>\nb <0>\n", ""),
        (["xargs", "-n1", "t-text-probe", "exit=3"], 123, b"a <0>\nb <0>\n", ""),
        (
            ["xargs", "-n1", "t-text-probe", "exit=255"],
            124,
            b"a <0>\n",
            "xargs: t-text-probe: exited with status 255; aborting\n",
        ),
        (
            ["xargs", "-n1", "t-text-probe", "exit=141"],
            125,
            b"a <0>\n",
            "xargs: t-text-probe: terminated by signal 13\n",
        ),
        (
            ["xargs", "no-such-command-xyz"],
            127,
            b"",
            "xargs: no-such-command-xyz: No such file or directory\n",
        ),
    ],
)
def test_xargs_exit_statuses(argv: list[str], status: int, stdout: bytes, err: str) -> None:
    with _bench() as bb:
        r = bb.run(argv, b"a\nb\n")
    assert (r.status, r.stdout, r.err) == (status, stdout, err)


def test_xargs_size_limit_splits_commands() -> None:
    with _bench() as bb:
        r = bb.run(["xargs", "-s", "20", "t-text-probe"], b"aaaa bbbb cccc dddd\n")
    # "t-text-probe" is 13 bytes with its NUL; each argument adds 5.
    assert r.stdout == b"aaaa <0>\nbbbb <0>\ncccc <0>\ndddd <0>\n"

"""Tests for the jq built-in (corral.shell.builtins.jq, corral.shell.jq_lang).

Every expected output in CASES was produced by the real jq 1.6 on the reference
machine (run with LC_ALL=C, HOME=/workspace, PATH=/usr/bin:/bin, in a directory
holding FILES), then hard-coded here. The targeted tests below cover what jq 1.6
cannot be compared with: sandbox paths, hostile inputs, time limits and the few
places where this jq deliberately differs.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

from corral.shell.command import REGISTRY, CommandContext
from corral.shell.testing import BuiltinBench, BuiltinResult

FILES: dict[str, str] = {
    "a.json": '{"a":1,"b":[1,2,{"c":"x"}],"d":{"e":null}}\n',
    "in1.json": '{"a":"x\\ny","b":[1,2]}\n"s"\n',
    "in2.json": "[3]",
    "lines.txt": "alpha\nbeta\n\ngamma",
    "prog.jq": ".a\n",
    "users.json": '[{"name":"ann","age":31,"tags":["x","y"]},{"name":"bob","age":25,"tags":[]},{"name":"cy","age":null}]\n',
}

# (argv after 'jq', stdin, status, stdout, stderr)
CASES: list[tuple[list[str], str | bytes, int, str, str]] = [
    (
        ["."],
        '{"a":[1,{"b":{}}],"c":[],"d":"x"}',
        0,
        '{\n  "a": [\n    1,\n    {\n      "b": {}\n    }\n  ],\n  "c": [],\n  "d": "x"\n}\n',
        "",
    ),
    (["-c", "."], '{"a" : [1, 2], "b" : {"c" : null}}', 0, '{"a":[1,2],"b":{"c":null}}\n', ""),
    (
        [
            "-nc",
            "[1e17, 1e16, 1e15, 123456789012345678, 1.0, -0, 0.1+0.2, 1e-5, 0.0001, 1e1000, -1e1000, 3.14159, 1e100, 1/3, 2e-7, 5e-324]",
        ],
        "",
        0,
        "[1e+17,1e+16,1000000000000000,123456789012345680,1,-0,0.30000000000000004,1e-05,0.0001,1.7976931348623157e+308,-1.7976931348623157e+308,3.14159,1e+100,0.3333333333333333,2e-07,5e-324]\n",
        "",
    ),
    (
        ["-nc", "[nan, infinite, -infinite]"],
        "",
        0,
        "[null,1.7976931348623157e+308,-1.7976931348623157e+308]\n",
        "",
    ),
    (
        ["-nc", '"x\\u0001\\u007f\\u00e9\\ud83d\\ude00/\\"\\\\\\t\\n\\r\\b\\f\\u0000"'],
        "",
        0,
        '"x\\u0001\\u007fé😀/\\"\\\\\\t\\n\\r\\b\\f\\u0000"\n',
        "",
    ),
    (["-a", "-c", "."], '{"é":"ü😀"}', 0, '{"\\u00e9":"\\u00fc\\ud83d\\ude00"}\n', ""),
    (["--tab", "."], '{"a":[1]}', 0, '{\n\t"a": [\n\t\t1\n\t]\n}\n', ""),
    (["--indent", "3", "."], '{"a":[1]}', 0, '{\n   "a": [\n      1\n   ]\n}\n', ""),
    (["--indent", "0", "."], '{"a":[1]}', 0, '{"a":[1]}\n', ""),
    (
        ["--indent", "8", "."],
        '{"a":[1]}',
        2,
        "",
        "jq: --indent takes a number between -1 and 7\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (["-n", "-c", "--indent", "3", '{"a":[1]}'], "", 0, '{\n   "a": [\n      1\n   ]\n}\n', ""),
    (
        ["-S", "."],
        '{"b":1,"a":{"d":1,"c":2}}',
        0,
        '{\n  "a": {\n    "c": 2,\n    "d": 1\n  },\n  "b": 1\n}\n',
        "",
    ),
    (
        ["-r", ".a, .b, .", "in1.json"],
        "",
        5,
        'x\ny\n[\n  1,\n  2\n]\n{\n  "a": "x\\ny",\n  "b": [\n    1,\n    2\n  ]\n}\n',
        'jq: error (at in1.json:2): Cannot index string with string "a"\n',
    ),
    (
        ["-j", ".", "in1.json", "in2.json"],
        "",
        0,
        '{\n  "a": "x\\ny",\n  "b": [\n    1,\n    2\n  ]\n}s[\n  3\n]',
        "",
    ),
    (["-nr", '[1,"a"]'], "", 0, '[\n  1,\n  "a"\n]\n', ""),
    (["-rn", '"a\\u0000b"'], "", 0, "a\x00b\n", ""),
    (["--seq", "-nc", "1,2"], "", 0, "\x1e1\n\x1e2\n", ""),
    (["-c", "."], '{"a":1,"b":2,"a":3}', 0, '{"a":3,"b":2}\n', ""),
    (["-c", "."], "1 2 3", 0, "1\n2\n3\n", ""),
    (["-c", "."], '"a""b"', 0, '"a"\n"b"\n', ""),
    (["-c", "."], "[1][2]", 0, "[1]\n[2]\n", ""),
    (["-c", "."], "NaN", 0, "null\n", ""),
    (["-c", "."], "1.", 0, "1\n", ""),
    (["-c", "."], b"\xef\xbb\xbf[1]", 0, "[1]\n", ""),
    (["."], "", 0, "", ""),
    (["-s", "-c", ".", "in1.json", "in2.json"], "", 0, '[{"a":"x\\ny","b":[1,2]},"s",[3]]\n', ""),
    (["-s", "."], "", 0, "[]\n", ""),
    (["-R", ".", "lines.txt"], "", 0, '"alpha"\n"beta"\n""\n"gamma"\n', ""),
    (
        ["-R", "-s", ".", "in1.json", "in2.json"],
        "",
        0,
        '"{\\"a\\":\\"x\\\\ny\\",\\"b\\":[1,2]}\\n\\"s\\"\\n[3]"\n',
        "",
    ),
    (["-Rn", "-c", "[inputs]", "lines.txt"], "", 0, '["alpha","beta","","gamma"]\n', ""),
    (
        ["-c", "-n", "[inputs]", "in1.json", "in2.json"],
        "",
        0,
        '[{"a":"x\\ny","b":[1,2]},"s",[3]]\n',
        "",
    ),
    (["-n", "reduce inputs as $x (0; . + $x)"], "1 2 3", 0, "6\n", ""),
    (
        ["-c", "--stream", "."],
        '{"a":[1,{"b":2}],"c":[]}',
        0,
        '[["a",0],1]\n[["a",1,"b"],2]\n[["a",1,"b"]]\n[["a",1]]\n[["c"],[]]\n[["c"]]\n',
        "",
    ),
    (["-c", ".a", "-"], '{"a":1}', 0, "1\n", ""),
    (
        ["-c", "input_filename", "in1.json", "-"],
        "[3]",
        0,
        '"in1.json"\n"in1.json"\n"<stdin>"\n',
        "",
    ),
    (["."], "{", 4, "", "parse error: Unfinished JSON term at EOF at line 1, column 1\n"),
    (
        ["."],
        '{"a":1} x',
        4,
        '{\n  "a": 1\n}\n',
        "parse error: Invalid numeric literal at EOF at line 1, column 9\n",
    ),
    (
        ["."],
        '{"a" 1}',
        4,
        "",
        "parse error: Expected separator between values at line 1, column 7\n",
    ),
    (["."], "]", 4, "", "parse error: Unmatched ']' at line 1, column 1\n"),
    (
        ["-c", "."],
        "[1,]",
        4,
        "",
        "parse error: Expected another array element at line 1, column 4\n",
    ),
    (
        ["-c", "."],
        '{"a":1,}',
        4,
        "",
        "parse error: Expected another key-value pair at line 1, column 8\n",
    ),
    (["-c", "."], '"\\x"', 4, "", "parse error: Invalid escape at line 1, column 4\n"),
    (["-c", "."], '"abc', 4, "", "parse error: Unfinished string at EOF at line 1, column 4\n"),
    (["-c", "."], "tru", 4, "", "parse error: Invalid literal at EOF at line 1, column 3\n"),
    (
        ["-c", ".a"],
        '{"a":1}\n{"a":2}\nnot json\n{"a":3}',
        4,
        "1\n2\n",
        "parse error: Invalid literal at line 3, column 4\n",
    ),
    (
        [".a.b", "a.json"],
        "",
        5,
        "",
        'jq: error (at a.json:1): Cannot index number with string "b"\n',
    ),
    (
        [".a"],
        "1 2",
        5,
        "",
        'jq: error (at <stdin>:0): Cannot index number with string "a"\njq: error (at <stdin>:0): Cannot index number with string "a"\n',
    ),
    (
        ["-c", ".a"],
        '1\n2\n{\n"a":1}',
        0,
        "1\n",
        'jq: error (at <stdin>:1): Cannot index number with string "a"\njq: error (at <stdin>:2): Cannot index number with string "a"\n',
    ),
    (
        ["-c", ".[0]"],
        '{"a":1}',
        5,
        "",
        "jq: error (at <stdin>:0): Cannot index object with number\n",
    ),
    (["-c", ".a"], "[1]", 5, "", 'jq: error (at <stdin>:0): Cannot index array with string "a"\n'),
    (
        ["-nc", '1 | .["abcdefghijabcdefghijabcdefghij"]'],
        "",
        5,
        "",
        "jq: error (at <unknown>): Cannot index number with string\n",
    ),
    (['error("x")'], "1", 5, "", "jq: error (at <stdin>:0): x\n"),
    (['error({"a":1})'], "1", 5, "", 'jq: error (at <stdin>:0) (not a string): {"a":1}\n'),
    (["error(null)"], "1", 0, "", ""),
    (["-e", "."], "1", 0, "1\n", ""),
    (["-e", "."], "null", 1, "null\n", ""),
    (["-e", "."], "false", 1, "false\n", ""),
    (["-e", "empty"], "1", 4, "", ""),
    (["-e", "."], "", 0, "", ""),
    (
        ["-e", 'if .==2 then error("x") else . end'],
        "1 2",
        5,
        "1\n",
        "jq: error (at <stdin>:0): x\n",
    ),
    (['if .==1 then error("x") else . end'], "1 2", 0, "2\n", "jq: error (at <stdin>:0): x\n"),
    (["-e", "-r", ".a"], '{"a":"x"}', 0, "x\n", ""),
    (
        [".", "nonexist.json"],
        "",
        2,
        "",
        "jq: error: Could not open file nonexist.json: No such file or directory\n",
    ),
    (
        [".", "a.json", "nonexist", "in2.json"],
        "",
        2,
        '{\n  "a": 1,\n  "b": [\n    1,\n    2,\n    {\n      "c": "x"\n    }\n  ],\n  "d": {\n    "e": null\n  }\n}\n[\n  3\n]\n',
        "jq: error: Could not open file nonexist: No such file or directory\n",
    ),
    (
        ["-nc", ".a |"],
        "",
        3,
        "",
        "jq: error: syntax error, unexpected $end (Unix shell quoting issues?) at <top-level>, line 1:\n.a |   \njq: 1 compile error\n",
    ),
    (
        ["-nc", "foo"],
        "",
        3,
        "",
        "jq: error: foo/0 is not defined at <top-level>, line 1:\nfoo\njq: 1 compile error\n",
    ),
    (
        ["-nc", "foo(1)"],
        "",
        3,
        "",
        "jq: error: foo/1 is not defined at <top-level>, line 1:\nfoo(1)\njq: 1 compile error\n",
    ),
    (
        ["-nc", "$x"],
        "",
        3,
        "",
        "jq: error: $x is not defined at <top-level>, line 1:\n$x\njq: 1 compile error\n",
    ),
    (
        ["-nc", "1 as $x | $y"],
        "",
        3,
        "",
        "jq: error: $y is not defined at <top-level>, line 1:\n1 as $x | $y          \njq: 1 compile error\n",
    ),
    (
        ["-nc", "}"],
        "",
        3,
        "",
        "jq: error: syntax error, unexpected INVALID_CHARACTER, expecting $end (Unix shell quoting issues?) at <top-level>, line 1:\n}\njq: 1 compile error\n",
    ),
    (
        ["-nc", "1 2"],
        "",
        3,
        "",
        "jq: error: syntax error, unexpected LITERAL, expecting $end (Unix shell quoting issues?) at <top-level>, line 1:\n1 2  \njq: 1 compile error\n",
    ),
    (
        ["-nc", ".[1"],
        "",
        3,
        "",
        "jq: error: syntax error, unexpected $end (Unix shell quoting issues?) at <top-level>, line 1:\n.[1  \njq: 1 compile error\n",
    ),
    (
        ["-nc", "{a:1"],
        "",
        3,
        "",
        "jq: error: syntax error, unexpected $end, expecting '}' (Unix shell quoting issues?) at <top-level>, line 1:\n{a:1   \njq: 1 compile error\n",
    ),
    (
        ["-nc", '"\\x"'],
        "",
        3,
        "",
        'jq: error: Invalid escape at line 1, column 4 (while parsing \'"\\x"\') at <top-level>, line 1:\n"\\x" \njq: 1 compile error\n',
    ),
    (
        ["-nc", "1 / 0"],
        "",
        3,
        "",
        "jq: error: Division by zero? at <top-level>, line 1:\n1 / 0\njq: 1 compile error\n",
    ),
    (
        ["-nc", "label $f | break $x"],
        "",
        3,
        "",
        "jq: error: $*label-x is not defined at <top-level>, line 1:\nlabel $f | break $x           \njq: 1 compile error\n",
    ),
    (
        ["-nc", "def f: 1; f(2)"],
        "",
        3,
        "",
        "jq: error: f/1 is not defined at <top-level>, line 1:\ndef f: 1; f(2)          \njq: 1 compile error\n",
    ),
    (
        ["-c", "--arg", "x", "1", "--argjson", "y", '{"a":2}', "-n", "[$x, $y, $ARGS]"],
        "",
        0,
        '["1",{"a":2},{"positional":[],"named":{"x":"1","y":{"a":2}}}]\n',
        "",
    ),
    (
        ["-n", "--argjson", "y", "{a", "$y"],
        "",
        2,
        "",
        "jq: invalid JSON text passed to --argjson\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (
        ["-n", "--arg", "x"],
        "",
        2,
        "",
        "jq: --arg takes two parameters (e.g. --arg varname value)\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (["-c", "-n", "$ARGS", "--args", "a", "b"], "", 0, '{"positional":["a","b"],"named":{}}\n', ""),
    (
        ["-c", "-n", "$ARGS", "--jsonargs", "1", '{"a":2}'],
        "",
        0,
        '{"positional":[1,{"a":2}],"named":{}}\n',
        "",
    ),
    (["-nc", "--slurpfile", "f", "in1.json", "$f"], "", 0, '[{"a":"x\\ny","b":[1,2]},"s"]\n', ""),
    (["-nc", "--rawfile", "f", "in2.json", "$f"], "", 0, '"[3]"\n', ""),
    (
        ["-c", "-n", "--slurpfile", "x", "nonexist", "$x"],
        "",
        2,
        "",
        "jq: Bad JSON in --slurpfile x nonexist: Could not open nonexist: No such file or directory\n",
    ),
    (["-f", "prog.jq", "a.json"], "", 0, "1\n", ""),
    (
        ["-n", "-f", "nonexist"],
        "",
        2,
        "",
        "jq: Could not open nonexist: No such file or directory\n",
    ),
    (
        ["-Z", "."],
        "",
        2,
        "",
        "jq: Unknown option -Z\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (
        ["--foo", "."],
        "",
        2,
        "",
        "jq: Unknown option --foo\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (
        ["-n", "--indent"],
        "",
        2,
        "",
        "jq: --indent takes one parameter\nUse jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://stedolan.github.io/jq\n",
    ),
    (
        [".a", "-c", "in1.json"],
        "",
        5,
        '"x\\ny"\n',
        'jq: error (at in1.json:2): Cannot index string with string "a"\n',
    ),
    (["-n", "-(1)"], "", 0, "-1\n", ""),
    (
        ["--arg", "n", "bob", "-c", ".[] | select(.name == $n)", "users.json"],
        "",
        0,
        '{"name":"bob","age":25,"tags":[]}\n',
        "",
    ),
    (["-n", "halt_error"], "", 5, "", ""),
    (["-n", '"bye\\n"|halt_error(1)'], "", 1, "", "bye\n"),
    (["-n", "1,2,halt,3"], "", 0, "1\n2\n", ""),
    (["-r", ".[] | .name", "users.json"], "", 0, "ann\nbob\ncy\n", ""),
    (
        ["-r", '.[] | "\\(.name): \\(.age)"', "users.json"],
        "",
        0,
        "ann: 31\nbob: 25\ncy: null\n",
        "",
    ),
    (["-r", ".[] | [.name, .age] | @tsv", "users.json"], "", 0, "ann\t31\nbob\t25\ncy\t\n", ""),
    (["-r", ".[] | [.name, .age] | @csv", "users.json"], "", 0, '"ann",31\n"bob",25\n"cy",\n', ""),
    (["map(.age) | add", "users.json"], "", 0, "56\n", ""),
    (
        ["-c", "map(select(.age > 26))", "users.json"],
        "",
        0,
        '[{"name":"ann","age":31,"tags":["x","y"]}]\n',
        "",
    ),
    (
        ["-c", "[.[] | {name, n: (.tags | length)}]", "users.json"],
        "",
        0,
        '[{"name":"ann","n":2},{"name":"bob","n":0},{"name":"cy","n":0}]\n',
        "",
    ),
    (["length", "users.json"], "", 0, "3\n", ""),
    (["-c", "sort_by(.age) | map(.name)", "users.json"], "", 0, '["cy","bob","ann"]\n', ""),
    (["-c", "group_by(.age != null) | map(length)", "users.json"], "", 0, "[1,2]\n", ""),
    (["-c", "[.[].tags[]?]", "users.json"], "", 0, '["x","y"]\n', ""),
    (
        ["-c", ".[0] | keys, keys_unsorted", "users.json"],
        "",
        0,
        '["age","name","tags"]\n["name","age","tags"]\n',
        "",
    ),
    (
        ["-c", "paths", "a.json"],
        "",
        0,
        '["a"]\n["b"]\n["b",0]\n["b",1]\n["b",2]\n["b",2,"c"]\n["d"]\n["d","e"]\n',
        "",
    ),
    (["-c", '[paths(type == "number")]', "a.json"], "", 0, '[["a"],["b",0],["b",1]]\n', ""),
    (["-c", '[leaf_paths | join(".")]', "a.json"], "", 0, '["a","b.0","b.1","b.2.c"]\n', ""),
    (
        ["-c", "to_entries", "a.json"],
        "",
        0,
        '[{"key":"a","value":1},{"key":"b","value":[1,2,{"c":"x"}]},{"key":"d","value":{"e":null}}]\n',
        "",
    ),
    (["-c", "del(.b)", "a.json"], "", 0, '{"a":1,"d":{"e":null}}\n', ""),
    (
        ["-c", ".b[2].c |= ascii_upcase", "a.json"],
        "",
        0,
        '{"a":1,"b":[1,2,{"c":"X"}],"d":{"e":null}}\n',
        "",
    ),
    (["-c", ".d.e //= 5", "a.json"], "", 0, '{"a":1,"b":[1,2,{"c":"x"}],"d":{"e":5}}\n', ""),
    (
        ["-c", '.b |= map(select(type == "number"))', "a.json"],
        "",
        0,
        '{"a":1,"b":[1,2],"d":{"e":null}}\n',
        "",
    ),
    (["-e", '.[] | select(.name == "zed")', "users.json"], "", 4, "", ""),
    (
        ["-c", "with_entries(.value |= tostring)", "a.json"],
        "",
        0,
        '{"a":"1","b":"[1,2,{\\"c\\":\\"x\\"}]","d":"{\\"e\\":null}"}\n',
        "",
    ),
    (
        ["-c", "reduce .[] as $u ({}; .[$u.name] = $u.age)", "users.json"],
        "",
        0,
        '{"ann":31,"bob":25,"cy":null}\n',
        "",
    ),
    (["-r", "keys[]", "a.json"], "", 0, "a\nb\nd\n", ""),
    (
        ["-c", "any(.[]; .age == 25), all(.[]; .age != null)", "users.json"],
        "",
        0,
        "true\nfalse\n",
        "",
    ),
    (["-c", 'map(.name) | join(", ")', "users.json"], "", 0, '"ann, bob, cy"\n', ""),
    (["-c", "first(.[] | select(.age < 30)) | .name", "users.json"], "", 0, '"bob"\n', ""),
    (
        ["-c", '(.[] | select(.name == "bob") | .age) = 26', "users.json"],
        "",
        0,
        '[{"name":"ann","age":31,"tags":["x","y"]},{"name":"bob","age":26,"tags":[]},{"name":"cy","age":null}]\n',
        "",
    ),
    (["-c", "..|strings", "a.json"], "", 0, '"x"\n', ""),
    (["-c", "{a, b: .b[0]}", "a.json"], "", 0, '{"a":1,"b":1}\n', ""),
    (
        ["-c", "[.[] | tostring]"],
        '[1,"1",[1],{"a":null},true,null,1.5]',
        0,
        '["1","1","[1]","{\\"a\\":null}","true","null","1.5"]\n',
        "",
    ),
    (
        ["-c", '.. | objects | select(has("id")) | .id'],
        '{"id":1,"c":[{"id":2},{"x":{"id":3}}]}',
        0,
        "1\n2\n3\n",
        "",
    ),
    (["-c", "del(.[] | select(. == null))"], "[1,null,2,null]", 0, "[1,2]\n", ""),
    (
        ["-c", 'walk(if type == "object" then del(.x) else . end)'],
        '{"x":1,"y":{"x":2,"z":3}}',
        0,
        '{"y":{"z":3}}\n',
        "",
    ),
    (
        ["-c", "to_entries | map(select(.value > 1)) | from_entries"],
        '{"a":1,"b":2,"c":3}',
        0,
        '{"b":2,"c":3}\n',
        "",
    ),
    (
        ["-c", 'with_entries(select(.key | startswith("_") | not))'],
        '{"_a":1,"b":2}',
        0,
        '{"b":2}\n',
        "",
    ),
    (
        ["-c", 'paths(type == "string") as $p | [$p, getpath($p)]'],
        '{"a":{"b":"x"},"c":["y"]}',
        0,
        '[["a","b"],"x"]\n[["c",0],"y"]\n',
        "",
    ),
    (["-c", ".[1:3] |= reverse"], "[1,2,3,4]", 0, "[1,3,2,4]\n", ""),
    (["-c", ".[] |= (. as $x | $x * $x)"], "[1,2,3]", 0, "[1,4,9]\n", ""),
    (
        ["-c", '(..|select(type=="number")) |= . * 10'],
        '{"a":[1,{"b":2}]}',
        0,
        '{"a":[10,{"b":20}]}\n',
        "",
    ),
    (["-c", "map_values(select(. > 1))"], '{"a":1,"b":2}', 0, '{"b":2}\n', ""),
    (["-c", '. * {"a":{"c":3}}'], '{"a":{"b":2}}', 0, '{"a":{"b":2,"c":3}}\n', ""),
    (
        ["-nc", "{a: (1,2), b: (3,4)}"],
        "",
        0,
        '{"a":1,"b":3}\n{"a":1,"b":4}\n{"a":2,"b":3}\n{"a":2,"b":4}\n',
        "",
    ),
    (["-nc", "[(1,2) + (10,20)]"], "", 0, "[11,12,21,22]\n", ""),
    (["-nc", '"\\(1,2) \\(3,4)"'], "", 0, '"1 3"\n"2 3"\n"1 4"\n"2 4"\n', ""),
    (["-nc", "[range((0,1);(3,4))]"], "", 0, "[0,1,2,0,1,2,3,1,2,1,2,3]\n", ""),
    (["-nc", "def f($a; $b): [$a,$b]; [f((1,2);(3,4))]"], "", 0, "[[1,3],[1,4],[2,3],[2,4]]\n", ""),
    (["-nc", "[reduce (1,2) as $x ((0,10); . + $x)]"], "", 0, "[3,13]\n", ""),
    (["-nc", "[foreach (1,2) as $x (0; . + $x; [$x, .])]"], "", 0, "[[1,1],[2,3]]\n", ""),
    (["-nc", "[(true,false) and (true,false)]"], "", 0, "[true,false,false]\n", ""),
    (["-nc", "[(1,null,2) // 3]"], "", 0, "[1,2]\n", ""),
    (["-nc", "[[1,2,3,4] | .[(0,1):(2,3)]]"], "", 0, "[[1,2],[1,2,3],[2],[2,3]]\n", ""),
    (
        ["-nc", "1 | .a.b?"],
        "",
        5,
        "",
        'jq: error (at <unknown>): Cannot index number with string "a"\n',
    ),
    (["-nc", '{"a":1} | .a.b?'], "", 0, "", ""),
    (["-nc", "[1,[2]] | .[][]?"], "", 0, "2\n", ""),
    (["-nc", 'try error("x") catch . | length'], "", 0, "1\n", ""),
    (
        ["-nc", "[1,2,3] | .[1:], .[-1:], .[:-1], .[1.5:2.5], .[1.7]"],
        "",
        0,
        "[2,3]\n[3]\n[1,2]\n[2,3]\nnull\n",
        "",
    ),
    (["-nc", '"abcdef" | .[2:4]'], "", 0, '"cd"\n', ""),
    (["-nc", "[1] as [$a, $b] | {$a, $b}"], "", 0, '{"a":1,"b":null}\n', ""),
    (["-nc", '{"a":{"x":1}} as {$a: {x: $b}} | [$a, $b]'], "", 0, '[{"x":1},1]\n', ""),
    (["-nc", "[1] as [$a] ?// $a | $a"], "", 0, "1\n", ""),
    (
        [
            "-nc",
            "label $out | foreach (1,2,3) as $x (0; . + $x; if . > 2 then ., break $out else . end)",
        ],
        "",
        0,
        "1\n3\n",
        "",
    ),
    (
        ["-nc", "def fac: if . <= 1 then 1 else . * (. - 1 | fac) end; 10 | fac"],
        "",
        0,
        "3628800\n",
        "",
    ),
    (["-nc", "def f(g): [g, g]; f(1, 2)"], "", 0, "[1,2,1,2]\n", ""),
    (["-nc", "def f: def g: 3; g * 2; f"], "", 0, "6\n", ""),
    (["-nc", "$__loc__"], "", 0, '{"file":"<top-level>","line":1}\n', ""),
    (["-nc", '{"if": 1, if: 2, "a b": 3} | keys'], "", 0, '["a b","if"]\n', ""),
    (["-nc", "[.[]?, 1]"], "", 0, "[1]\n", ""),
    (["-nc", 'try (1, error("e"), 3) catch .'], "", 0, '1\n"e"\n', ""),
    (["-nc", "[1,2,3] | .[] |= empty"], "", 0, "[2]\n", ""),
    (["-nc", '{"a":1,"b":2} | .[] |= empty'], "", 0, "{}\n", ""),
    (
        ["-nc", "[1] | .[-2] = 5"],
        "",
        5,
        "",
        "jq: error (at <unknown>): Out of bounds negative array index\n",
    ),
    (["-nc", "null | .[2] = 1"], "", 0, "[null,null,1]\n", ""),
    (["-nc", "{} | .a += (1,2)"], "", 0, '{"a":1}\n{"a":2}\n', ""),
    (["-nc", "[1,2] | .[0] = (3,4)"], "", 0, "[3,2]\n[4,2]\n", ""),
    (["-nc", '{"a":[1,2]} | .a += [3] | .a |= map(. * 2)'], "", 0, '{"a":[2,4,6]}\n', ""),
    (
        ["-nc", '{"a":5} | .a -= 1, .a *= 2, .a /= 2, .a %= 3'],
        "",
        0,
        '{"a":4}\n{"a":10}\n{"a":2.5}\n{"a":2}\n',
        "",
    ),
    (["-nc", '{"a":null,"b":1} | .a //= 3 | .b //= 4'], "", 0, '{"a":3,"b":1}\n', ""),
    (
        ["-nc", "path(1)"],
        "",
        5,
        "",
        "jq: error (at <unknown>): Invalid path expression with result 1\n",
    ),
    (
        ["-nc", '{"a":1} | path(tostring | .a)'],
        "",
        5,
        "",
        'jq: error (at <unknown>): Invalid path expression near attempt to access element "a" of "{\\"a\\":1}"\n',
    ),
    (["-nc", "[1,2,3] | path(.[1:])"], "", 0, '[{"start":1,"end":null}]\n', ""),
    (
        ["-nc", '1 + "a"'],
        "",
        5,
        "",
        'jq: error (at <unknown>): number (1) and string ("a") cannot be added\n',
    ),
    (
        ["-nc", "{} - 1"],
        "",
        5,
        "",
        "jq: error (at <unknown>): object ({}) and number (1) cannot be subtracted\n",
    ),
    (["-nc", "[1,2,3,1] - [1]"], "", 0, "[2,3]\n", ""),
    (["-nc", '"ab" * 3, "ab" * 0'], "", 0, '"ababab"\nnull\n', ""),
    (["-nc", '"a,b" / ","'], "", 0, '["a","b"]\n', ""),
    (["-nc", '{"a":{"b":1,"c":2}} * {"a":{"b":3}}'], "", 0, '{"a":{"b":3,"c":2}}\n', ""),
    (
        ["-nc", ". as $x | 1 / ($x // 0)"],
        "",
        5,
        "",
        "jq: error (at <unknown>): number (1) and number (0) cannot be divided because the divisor is zero\n",
    ),
    (
        ["-nc", "0 as $z | 5 % $z"],
        "",
        5,
        "",
        "jq: error (at <unknown>): number (5) and number (0) cannot be divided (remainder) because the divisor is zero\n",
    ),
    (["-nc", "5 % 3, -5 % 3, 5 % -3, 5.5 % 2"], "", 0, "2\n-2\n2\n1\n", ""),
    (["-nc", 'null + null, ([] + null), ({} + {"a":1})'], "", 0, 'null\n[]\n{"a":1}\n', ""),
    (["-nc", '-"a"'], "", 5, "", 'jq: error (at <unknown>): string ("a") cannot be negated\n'),
    (["-nc", "[nan < 1, nan > 1, nan == nan]"], "", 0, "[true,false,false]\n", ""),
    (["-nc", "[1, nan, 0] | sort"], "", 0, "[null,0,1]\n", ""),
    (
        ["-nc", '[{"b":1},{"a":2},{"a":1,"b":0},{"a":1}] | sort'],
        "",
        0,
        '[{"a":1},{"a":2},{"a":1,"b":0},{"b":1}]\n',
        "",
    ),
    (["-nc", '[null,true,false,0,"",[],{}] | sort'], "", 0, '[null,false,true,0,"",[],{}]\n', ""),
    (
        ["-nc", "true | length"],
        "",
        5,
        "",
        "jq: error (at <unknown>): boolean (true) has no length\n",
    ),
    (["-nc", "null | keys"], "", 5, "", "jq: error (at <unknown>): null (null) has no keys\n"),
    (
        ["-nc", '[1] | has("a")'],
        "",
        5,
        "",
        "jq: error (at <unknown>): Cannot check whether array has a string key\n",
    ),
    (
        ["-nc", '{"a":1} | has(0)'],
        "",
        5,
        "",
        "jq: error (at <unknown>): Cannot check whether object has a number key\n",
    ),
    (["-nc", "1 | .[]"], "", 5, "", "jq: error (at <unknown>): Cannot iterate over number (1)\n"),
    (
        ["-nc", "[1,2] | contains(1)"],
        "",
        5,
        "",
        "jq: error (at <unknown>): array ([1,2]) and number (1) cannot have their containment checked\n",
    ),
    (["-nc", "[1,2,3] | any, all"], "", 0, "true\ntrue\n", ""),
    (["-nc", "[range(0;10;3)], [range(5;0;-2)]"], "", 0, "[0,3,6,9]\n[5,3,1]\n", ""),
    (
        ["-nc", "[3.7, -3.7, 2.5] | map(floor), map(ceil), map(round), map(fabs)"],
        "",
        0,
        "[3,-4,2]\n[4,-3,3]\n[4,-4,3]\n[3.7,3.7,2.5]\n",
        "",
    ),
    (["-nc", "[pow(2; 10), (16 | sqrt), (1 | log), (100 | log10)]"], "", 0, "[1024,4,0,2]\n", ""),
    (["-nc", '[1, "1.5", "-2e3"] | map(tonumber)'], "", 0, "[1,1.5,-2000]\n", ""),
    (
        ["-nc", '"abc" | tonumber'],
        "",
        5,
        "",
        "jq: error (at <unknown>): Invalid numeric literal at EOF at line 1, column 3 (while parsing 'abc')\n",
    ),
    (
        ["-nc", '[null,true,1,"a",[],{}] | map(type)'],
        "",
        0,
        '["null","boolean","number","string","array","object"]\n',
        "",
    ),
    (
        ["-nc", "[infinite, -infinite, nan] | map(isinfinite), map(isnan)"],
        "",
        0,
        "[true,true,false]\n[false,false,true]\n",
        "",
    ),
    (
        ["-nc", "[3,1,2] | sort, min, max, (map({a:.}) | min_by(.a), max_by(.a))"],
        "",
        0,
        '[1,2,3]\n1\n3\n{"a":1}\n{"a":3}\n',
        "",
    ),
    (["-nc", "[1,2,1,3] | unique, reverse"], "", 0, "[1,2,3]\n[3,1,2,1]\n", ""),
    (
        [
            "-nc",
            '"foobar" | contains("bar"), inside("xfoobarx"), startswith("foo"), endswith("bar"), ltrimstr("foo"), rtrimstr("bar")',
        ],
        "",
        0,
        'true\ntrue\ntrue\ntrue\n"bar"\n"foo"\n',
        "",
    ),
    (["-nc", '"abc" | explode, (explode | implode)'], "", 0, '[97,98,99]\n"abc"\n', ""),
    (["-nc", '[1,null,"a",true] | join("-")'], "", 0, '"1--a-true"\n', ""),
    (["-nc", '"ÀbC" | ascii_downcase, ascii_upcase'], "", 0, '"Àbc"\n"ÀBC"\n', ""),
    (["-nc", '"aé" | length, utf8bytelength'], "", 0, "2\n3\n", ""),
    (
        ["-nc", '{"a":{"b":[1]}} | [recurse], [..]'],
        "",
        0,
        '[{"a":{"b":[1]}},{"b":[1]},[1],1]\n[{"a":{"b":[1]}},{"b":[1]},[1],1]\n',
        "",
    ),
    (["-nc", "2 | [recurse(. * .; . < 20)]"], "", 0, "[2,4,16]\n", ""),
    (
        [
            "-nc",
            '{"a":[1,2,3]} | delpaths([["a",0],["a",2]]), setpath(["a",0]; 9), getpath(["a",1])',
        ],
        "",
        0,
        '{"a":[2]}\n{"a":[9,2,3]}\n2\n',
        "",
    ),
    (["-nc", '[{"a":1}] | tojson, (tojson | fromjson)'], "", 0, '"[{\\"a\\":1}]"\n[{"a":1}]\n', ""),
    (
        ["-nc", '"[1,2" | fromjson'],
        "",
        5,
        "",
        "jq: error (at <unknown>): Unfinished JSON term at EOF at line 1, column 4 (while parsing '[1,2')\n",
    ),
    (
        ["-nc", '"2015-03-05T23:51:47Z" | fromdate, (fromdate | todate)'],
        "",
        0,
        '1425599507\n"2015-03-05T23:51:47Z"\n',
        "",
    ),
    (
        ["-nc", '1425599507 | gmtime, (gmtime | mktime), strftime("%A, %B %d, %Y")'],
        "",
        0,
        '[2015,2,5,23,51,47,4,63]\n1425599507\n"Thursday, March 05, 2015"\n',
        "",
    ),
    (
        ["-nc", '"10:15 2020-01-02" | strptime("%H:%M %Y-%m-%d")'],
        "",
        0,
        "[2020,0,2,10,15,0,4,1]\n",
        "",
    ),
    (
        [
            "-nc",
            '"test 123 abc 456" | [scan("[0-9]+")], test("ABC"; "i"), [match("[a-z]+"; "g").string]',
        ],
        "",
        0,
        '["123","456"]\ntrue\n["test","abc"]\n',
        "",
    ),
    (
        ["-nc", '"foo bar" | capture("(?<a>\\\\w+) (?<b>\\\\w+)")'],
        "",
        0,
        '{"a":"foo","b":"bar"}\n',
        "",
    ),
    (
        ["-nc", '"hello world" | sub("o"; "0"), gsub("o"; "0"), gsub("(?<l>l+)"; "<\\(.l)>")'],
        "",
        0,
        '"hell0 world"\n"hell0 w0rld"\n"he<ll>o wor<l>d"\n',
        "",
    ),
    (["-nc", '"abab" | gsub("b"; "X", "Y")'], "", 0, '"aXaX"\n"aYaX"\n"aXaY"\n"aYaY"\n', ""),
    (
        ["-nc", '"a1b2c" | split("[0-9]"; null), [splits("[a-z]")]'],
        "",
        0,
        '["a","b","c"]\n["","1","2",""]\n',
        "",
    ),
    (
        ["-nc", '"abc" | [match("(?<n>b)(x)?")]'],
        "",
        0,
        '[{"offset":1,"length":1,"string":"b","captures":[{"offset":1,"length":1,"string":"b","name":"n"},{"offset":-1,"string":null,"length":0,"name":null}]}]\n',
        "",
    ),
    (
        ["-nc", '"abc" | test("a"; "q")'],
        "",
        5,
        "",
        "jq: error (at <unknown>): q is not a valid modifier string\n",
    ),
    (
        ["-nc", '"x" | splits(1)'],
        "",
        5,
        "",
        "jq: error (at <unknown>): number (1) is not a string\n",
    ),
    (["-nc", "[first(range(10)), last(range(10)), nth(5; range(10))]"], "", 0, "[0,9,5]\n", ""),
    (
        ["-nc", "[limit(3; range(10))], [limit(0; 1,2)], [limit(-1; 1,2)]"],
        "",
        0,
        "[0,1,2]\n[1]\n[1,2]\n",
        "",
    ),
    (
        ["-nc", "[1 | until(. > 100; . * 2)], [1 | while(. < 100; . * 2)]"],
        "",
        0,
        "[128]\n[1,2,4,8,16,32,64]\n",
        "",
    ),
    (["-nc", "[limit(6; 1|repeat(., 5))]"], "", 0, "[1,5,1,5,1,5]\n", ""),
    (
        ["-nc", '"a,b, cd, efg" | indices(", "), index(", "), rindex(", ")'],
        "",
        0,
        "[3,7]\n3\n7\n",
        "",
    ),
    (["-nc", "[0,1,2,1,3,1,4] | indices(1), indices([1,3])"], "", 0, "[1,3,5]\n[3]\n", ""),
    (["-nc", "[1,[2,[3,[4]]]] | flatten, flatten(1)"], "", 0, "[1,2,3,4]\n[1,2,[3,[4]]]\n", ""),
    (
        ["-nc", "[1] | flatten(-1)"],
        "",
        5,
        "",
        "jq: error (at <unknown>): flatten depth must not be negative\n",
    ),
    (["-nc", "[[1,2,3],[4,5]] | transpose"], "", 0, "[[1,4],[2,5],[3,null]]\n", ""),
    (["-nc", "[[1,2],[3,4]] | [combinations]"], "", 0, "[[1,3],[1,4],[2,3],[2,4]]\n", ""),
    (
        ["-nc", '{"a":[1,{"b":2}]} | [tostream], ([tostream] | fromstream(.[]))'],
        "",
        0,
        '[[["a",0],1],[["a",1,"b"],2],[["a",1,"b"]],[["a",1]],[["a"]]]\n{"a":[1,{"b":2}]}\n',
        "",
    ),
    (["-nc", "[1,2,3] | IN(2), bsearch(3)"], "", 0, "false\n2\n", ""),
    (["-nc", '[{"a":1},{"a":2}] | INDEX(.a)'], "", 0, '{"1":{"a":1},"2":{"a":2}}\n', ""),
    (["-nc", '[1,"a b",null,true,1.5] | @sh'], "", 0, "\"1 'a b' null true 1.5\"\n", ""),
    (["-nc", '[1,"a,\\"b",null,true,1.5] | @csv'], "", 0, '"1,\\"a,\\"\\"b\\",,true,1.5"\n', ""),
    (
        ["-nc", '[1,"a\\tb\\\\c\\n",null,true] | @tsv'],
        "",
        0,
        '"1\\ta\\\\tb\\\\\\\\c\\\\n\\t\\ttrue"\n',
        "",
    ),
    (["-nc", '"<&>\\u0027\\"" | @html'], "", 0, '"&lt;&amp;&gt;&apos;&quot;"\n', ""),
    (["-nc", '"a b/?=&é~-_.!*()" | @uri'], "", 0, '"a%20b%2F%3F%3D%26%C3%A9~-_.!*()"\n', ""),
    (["-nc", '"hello" | @base64, (@base64 | @base64d)'], "", 0, '"aGVsbG8="\n"hello"\n', ""),
    (["-nc", '@json "v=\\([1,"a"])"'], "", 0, '"v=[1,\\"a\\"]"\n', ""),
    (
        ["-nc", '{"a":1} | @csv'],
        "",
        5,
        "",
        'jq: error (at <unknown>): object ({"a":1}) cannot be csv-formatted, only array\n',
    ),
    (["-nc", "@foo"], "", 5, "", "jq: error (at <unknown>): foo is not a valid format\n"),
    (
        [
            "-nc",
            '{"a":1} | to_entries, ([{"name":"x","value":1}] | from_entries), ([{"key":null}] | from_entries)',
        ],
        "",
        5,
        '[{"key":"a","value":1}]\n{"x":1}\n',
        "jq: error (at <unknown>): Cannot use null (null) as object key\n",
    ),
    (["-nc", '{"a":1} | with_entries(.key |= ascii_upcase)'], "", 0, '{"A":1}\n', ""),
    (["-nc", "$ENV | type"], "", 0, '"object"\n', ""),
    (["-nc", "env.HOME"], "", 0, '"/workspace"\n', ""),
    (["-nc", "input_line_number"], "", 0, "0\n", ""),
    (
        ["-nc", '[splits("a")]'],
        "",
        5,
        "",
        "jq: error (at <unknown>): null (null) cannot be matched, as it is not a string\n",
    ),
    (["-nc", '"b" | in({"a":1,"b":2})'], "", 0, "true\n", ""),
    (
        ["-nc", '"a" * {"b":1}'],
        "",
        5,
        "",
        'jq: error (at <unknown>): string ("a") and object ({"b":1}) cannot be multiplied\n',
    ),
    (["-nc", '{"a":null} | .a // "d"'], "", 0, '"d"\n', ""),
    (
        ["-nc", '"x" | .a // "d"'],
        "",
        5,
        "",
        'jq: error (at <unknown>): Cannot index string with string "a"\n',
    ),
    (["-nc", "[.[]?] | first, last"], "", 0, "null\nnull\n", ""),
]


def run(argv: list[str], stdin: str | bytes = b"", timeout: float = 30.0) -> BuiltinResult:
    with BuiltinBench() as bb:
        for name, data in FILES.items():
            bb.write(name, data)
        return bb.run(["jq", *argv], stdin, timeout=timeout)


def _id(case: tuple[list[str], str | bytes, int, str, str]) -> str:
    return " ".join(case[0])[:60]


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{_id(c)}" for i, c in enumerate(CASES)])
def test_matches_jq_1_6(case: tuple[list[str], str | bytes, int, str, str]) -> None:
    argv, stdin, status, out, err = case
    r = run(argv, stdin)
    assert (r.status, r.out, r.err) == (status, out, err)


def test_registered() -> None:
    assert "jq" in REGISTRY
    assert (REGISTRY["jq"].__doc__ or "").startswith("Usage: jq ")


# -- the sandbox: paths never leave /workspace


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "../x.json"])
def test_path_escape_is_refused(path: str) -> None:
    r = run([".", path])
    assert r.status == 2
    assert (
        r.err == f"jq: error: Could not open file {path}: Permission denied (outside /workspace)\n"
    )
    assert r.out == ""


def test_path_escape_in_option_files() -> None:
    r = run(["-n", "--slurpfile", "x", "../../etc/passwd", "$x"])
    assert r.status == 2 and "outside /workspace" in r.err and r.out == ""
    r = run(["-n", "--rawfile", "x", "/etc/passwd", "$x"])
    assert r.status == 2 and "outside /workspace" in r.err
    r = run(["-f", "/etc/passwd"])
    assert r.status == 2 and r.err.startswith("jq: Could not open /etc/passwd:")


def test_missing_file_does_not_stop_the_others() -> None:
    r = run(["-c", ".", "nope.json", "in2.json"])
    assert r.status == 2
    assert r.out == "[3]\n"
    assert "Could not open file nope.json: No such file or directory" in r.err


def test_directory_operand() -> None:
    with BuiltinBench() as bb:
        bb.write("d/x.json", "1")
        r = bb.run(["jq", ".", "d"])
    assert r.status == 2 and r.err == "jq: error: Could not open file d: Is a directory\n"


# -- hostile inputs


def test_binary_input_is_a_parse_error_not_a_crash() -> None:
    data = bytes(range(256)) * 4
    r = run(["."], data)
    assert r.status == 4
    assert r.err.startswith("parse error: ") and "Traceback" not in r.err


def test_invalid_utf8_becomes_replacement_characters() -> None:
    r = run(["-c", "."], b'["\xff", "a\xc3"]')
    assert (r.status, r.out) == (0, '["\ufffd","a\ufffd"]\n')


def test_deep_recursion_is_a_clean_error() -> None:
    r = run(["-n", "def f: f; f"])
    assert r.status == 5
    assert r.err == "jq: error (at <unknown>): stack overflow (recursion too deep)\n"
    r = run(["-n", "def f: 1 + f; f"])
    assert r.status == 5 and "stack overflow" in r.err


def test_recursion_a_few_thousand_deep_works() -> None:
    r = run(["-n", "def f: if . < 3000 then . + 1 | f else . end; 0 | f"])
    assert (r.status, r.out) == (0, "3000\n")
    r = run(["-n", "def f: if . < 3000 then ((. + 1 | f), empty) else . end; [0 | f] | length"])
    assert (r.status, r.out) == (0, "1\n")


def test_deeply_nested_input() -> None:
    r = run(["-c", "[paths] | length"], "[" * 2000 + "]" * 2000)
    assert (r.status, r.out) == (0, "1999\n")
    r = run(["-c", "."], "[" * 200000 + "]" * 200000)
    assert r.status in (0, 5) and "Traceback" not in r.err


def test_runaway_filters_end_at_the_wall_budget() -> None:
    for prog in (
        "range(1e9) | select(. < 0)",
        "[range(1e9)] | length",
        "repeat(empty)",
        "until(false; .)",
    ):
        t = time.monotonic()
        r = run(["-n", prog], timeout=0.5)
        assert r.status == 124, prog
        assert time.monotonic() - t < 5, prog


def test_huge_string_repetition_is_refused() -> None:
    r = run(["-n", '"x" * 1e10 | length'])  # jq 1.6 turns the count negative: null
    assert (r.status, r.out) == (0, "0\n")
    r = run(["-n", '"abcdefgh" * 1e9 | length'])
    assert r.status == 5 and "Out of memory" in r.err


def test_large_input_streams() -> None:
    lines = "".join(f'{{"id":{i},"v":"{"x" * (i % 7)}"}}\n' for i in range(100_000))
    r = run(["-c", "select(.id % 25000 == 0) | .id"], lines)
    assert (r.status, r.out) == (0, "0\n25000\n50000\n75000\n")
    r = run(["-c", "[.[] | .id] | add"], "[" + lines.replace("\n", ",").rstrip(",") + "]")
    assert (r.status, r.out) == (0, "4999950000\n")


class _Endless(io.RawIOBase):
    """`yes '{"a":1}'`: never ends; counts what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        chunk = (b'{"a":1}\n' * (len(b) // 8 + 1))[: len(b)]
        b[: len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def _run_ctx(
    argv: list[str], stdin: io.RawIOBase, timeout: float = 10.0
) -> tuple[int, bytes, bytes]:
    with BuiltinBench() as bb:
        out, err = io.BytesIO(), io.BytesIO()
        ctx = CommandContext(
            argv=argv,
            stdin=io.BufferedReader(stdin),
            stdout=out,
            stderr=err,
            env={"HOME": "/workspace"},
            cwd="/workspace",
            ws=bb.ws,
            deadline=time.monotonic() + timeout,
        )
        status = REGISTRY["jq"](ctx)
        return status, out.getvalue(), err.getvalue()


def test_reads_input_lazily() -> None:
    src = _Endless()
    status, out, err = _run_ctx(["jq", "-n", "-c", "first(inputs), input"], src)
    assert (status, out, err) == (0, b'{"a":1}\n{"a":1}\n', b"")
    assert src.read_bytes < 1_000_000


def test_stops_when_the_reader_goes_away() -> None:
    class Closing(io.BytesIO):
        def write(self, b: object) -> int:  # type: ignore[override]
            raise BrokenPipeError(32, "Broken pipe")

    with BuiltinBench() as bb:
        ctx = CommandContext(
            argv=["jq", "-c", "."],
            stdin=io.BufferedReader(_Endless()),
            stdout=Closing(),
            stderr=io.BytesIO(),
            env={},
            cwd="/workspace",
            ws=bb.ws,
            deadline=time.monotonic() + 10,
        )
        with pytest.raises(BrokenPipeError):
            REGISTRY["jq"](ctx)


def test_cancel_event_stops_a_running_filter() -> None:
    with BuiltinBench() as bb:
        ctx = CommandContext(
            argv=["jq", "-n", "[range(1e9)] | length"],
            stdin=io.BytesIO(),
            stdout=io.BytesIO(),
            stderr=io.BytesIO(),
            env={},
            cwd="/workspace",
            ws=bb.ws,
        )
        threading.Timer(0.3, ctx.cancel_event.set).start()
        from corral.shell.command import Cancelled

        with pytest.raises(Cancelled):
            REGISTRY["jq"](ctx)


# -- deliberate differences from jq 1.6 (the jq 1.7 behaviour, friendlier for agents)


def test_input_past_the_end_says_no_more_inputs() -> None:
    r = run(["-c", "[., input]"], "1 2 3")  # jq 1.6 prints the odd message "break"
    assert (r.status, r.out, r.err) == (5, "[1,2]\n", "jq: error (at <unknown>): No more inputs\n")


def test_if_without_else_and_suffixes_after_if_and_reduce() -> None:
    r = run(["-nc", "[.[]?, 1] | map(if . == 1 then 10 end), (if true then [1] else [2] end[0])"])
    assert (r.status, r.out) == (0, "[10]\n1\n")
    r = run(["-nc", "reduce (1,2) as $x ([]; . + [$x])[1]"])
    assert (r.status, r.out) == (0, "2\n")


def test_question_mark_before_alternative_without_spaces() -> None:
    r = run(["-c", '.a?//"d", (.b[]?//"e")'], '{"b":1}')
    assert (r.status, r.out) == (0, '"d"\n"e"\n')


def test_colour_flags_are_accepted_without_colour() -> None:
    r = run(["-C", "-c", "."], '{"a":1}')
    assert (r.status, r.out) == (0, '{"a":1}\n')
    r = run(["-M", "-c", "."], '{"a":1}')
    assert (r.status, r.out) == (0, '{"a":1}\n')


def test_double_dash_ends_options() -> None:
    r = run(["-n", "--", "-1 + 3"])
    assert (r.status, r.out) == (0, "2\n")


def test_h_prints_the_usage() -> None:
    r = run(["-h"])
    assert r.status == 0 and r.out.startswith("Usage: jq [OPTION]... FILTER [FILE]...")


def test_regex_translation_of_oniguruma_syntax() -> None:
    r = run(
        [
            "-nc",
            '"Ab12 x" | [test("[[:upper:]][[:lower:]]"), test("\\\\p{Alpha}+"), '
            '([match("(?<d>\\\\d)\\\\k<d>"; "g")] | length), test("x\\\\z"), test("\\\\h")]',
        ]
    )
    assert (r.status, r.out) == (0, "[true,true,0,true,false]\n")


def test_large_assignments_are_linear() -> None:
    data = "[" + ",".join(f'{{"id":{i},"n":"u{i}"}}' for i in range(40_000)) + "]"
    t = time.monotonic()
    r = run(
        ["-c", "((.[] |= .id) | length), (reduce .[] as $x ({}; .[$x.n] = $x.id) | length)"],
        data,
    )
    assert (r.status, r.out) == (0, "40000\n40000\n")
    assert time.monotonic() - t < 20


def test_prelude_parsed_once_by_the_first_program_of_any_thread() -> None:
    """The jq-defined built-ins are parsed by the first program compiled (not at import,
    which every shell worker pays); threads compiling their first programs at once all
    see the whole prelude bound (``values``, ``numbers`` ... are jq-defined)."""
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from corral.shell import jq_lang as J\n"
        "assert not J.PRELUDE and not J._PRELUDE_READY, 'parsed at import'\n"
        "out, errs = [], []\n"
        "def go():\n"
        "    try:\n"
        "        p = J.Program('[.[] | values | numbers] | map(. * 2) | length')\n"
        "        out.append(p.ast is not None)\n"
        "    except Exception as e:\n"
        "        errs.append(repr(e))\n"
        "ts = [threading.Thread(target=go) for _ in range(8)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "assert not errs and out == [True] * 8, (errs, out)\n"
        "assert J._PRELUDE_READY and 'values/0' in J.PRELUDE\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = run(["-c", "[.[] | select(. > 1)] | map(. * 2)"], "[1,2,3]")
    assert (r.status, r.out) == (0, "[4,6]\n")

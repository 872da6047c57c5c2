"""What the kernel refuses to start (E2BIG), decided as Linux's ``execve`` does:
one argument or environment string past ``MAX_ARG_STRLEN``, or all of them with
their NULs and pointers past a quarter of the 8 MiB stack. bash reports it as
``Argument list too long`` with status 126, for programs only: its own built-ins and
functions take any number of arguments."""

from __future__ import annotations

import pytest

from corral.shell.limits import ARG_MAX, MAX_ARG_STRLEN, exec_args_too_long


def _kernel(argv: list[str], env: dict[str, str]) -> bool:
    strings = [*argv, *(f"{k}={v}" for k, v in env.items())]
    sizes = [len(s.encode("utf-8", "surrogateescape")) + 1 for s in strings]
    return max(sizes) > MAX_ARG_STRLEN or sum(sizes) + 8 * len(sizes) > ARG_MAX


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["ls"], {}),
        (["cat", "a" * (MAX_ARG_STRLEN - 1)], {}),
        (["cat", "a" * MAX_ARG_STRLEN], {}),
        (["cat", "é" * (MAX_ARG_STRLEN // 2)], {}),  # two bytes a character
        (["cat", "é" * (MAX_ARG_STRLEN // 2 - 1)], {}),
        (["cat", *["x" * 100] * 19_000], {}),
        (["cat", *["x" * 100] * 21_000], {}),
        (["cat", *["x" * 100] * 12_000], {"BIG": "y" * 100_000, "B2": "z" * 100_000}),
        (["cat", *["x" * 100] * 12_000], {"BIG": "y" * 10}),
        (["cat"], {"HUGE": "y" * MAX_ARG_STRLEN}),  # small argv: the env is not read
        (["cat", *["\udcff" * 50] * 20_000], {}),  # undecodable bytes, one byte each
    ],
)
def test_agrees_with_the_kernels_rule(argv: list[str], env: dict[str, str]) -> None:
    expected = _kernel(argv, env)
    small = sum(map(len, argv)) < ARG_MAX // 16 and all(len(a) * 4 < MAX_ARG_STRLEN for a in argv)
    if small:  # the documented shortcut: a small argv does not read the environment
        expected = _kernel(argv, {})
    assert exec_args_too_long(argv, env) is expected
    assert exec_args_too_long(argv, lambda: env) is expected


def test_the_environment_is_made_only_for_a_big_argv() -> None:
    def boom() -> dict[str, str]:
        raise AssertionError("read")

    assert exec_args_too_long(["ls", "-l"] * 100, boom) is False

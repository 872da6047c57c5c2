"""Command-line options skipped up to an operand: one reading for every wrapper view.

Wrappers (``sudo``, ``timeout``, ``tmux``, ``docker run`` …) are looked through to the
command they run; what lies between is options, some of which take the next word as their
value. :func:`skip_options` is that walk, shared by the policy's wrapper views
(:mod:`corral.policy.engine`, :mod:`corral.policy.containers`) and the monitor's.
"""

from __future__ import annotations

__all__ = ["skip_options", "takes_next"]


def skip_options(args: list[str], value_opts: frozenset[str], positional: int = 0) -> list[str]:
    """``args`` from the operand after ``positional`` more operands on: options (and the
    values of those in ``value_opts``, also at the end of a short cluster) skipped, ``--``
    ending them; ``-`` alone is an operand."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a.startswith("-") and len(a) > 1:
            i += 2 if a in value_opts or takes_next(a, value_opts) else 1
            continue
        break
    return args[i + positional :]


def takes_next(arg: str, value_opts: frozenset[str]) -> bool:
    """Whether a cluster of short options (``-Eu``, ``-nu``, ``-dp``) ends with one that
    takes the next word as its value (``sudo -Eu root sh``: ``root`` is ``-u``'s, not the
    command; ``docker run -dp 8080:80 nginx``: the image is ``nginx``)."""
    if arg.startswith("--") or len(arg) < 3:
        return False
    for j, ch in enumerate(arg[1:], 1):
        if "-" + ch in value_opts:
            return j == len(arg) - 1  # a value attached after it (-uroot) is in this word
    return False

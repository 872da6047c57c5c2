"""``select NAME [in WORDS]; do …; done``, as bash runs it (``execute_cmd.c``:
``execute_select_command``, ``select_query``, ``print_select_list``): the menu in
bash's columns (``COLUMNS``, 80 by default) and the prompt ``$PS3`` (``#? ``) on
stderr, a line read by the shell's own ``read`` into ``REPLY``; ``NAME`` is the chosen
word, or empty for anything that is not one of the numbers; an empty line shows the
menu again (ksh's rule: only then); end of input prints a newline and ends the loop
with status 1; ``break`` and ``continue`` work as in any loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import syntax as A
    from .interp import Shell


def _menu(items: list[str], columns: int) -> str:
    """print_select_list."""
    if not items:
        return "\n"
    n = len(items)
    indices_len = len(str(n))
    max_len = max(len(w) for w in items) + indices_len + 2 + 2
    cols = max(columns // max_len, 1) if max_len else 1
    rows = n // cols + (n % cols != 0)
    cols = n // rows + (n % rows != 0)
    if rows == 1:
        rows, cols = cols, 1
    first_len = len(str(rows))
    out: list[str] = []
    for row in range(rows):
        ind, pos = row, 0
        while True:
            width = first_len if pos == 0 else indices_len
            out.append(f"{ind + 1:>{width}}) {items[ind]}")
            elem = len(items[ind]) + width + 2
            ind += rows
            if ind >= n:
                break
            frm, to = pos + elem, pos + max_len
            while frm < to:  # bash's indent(): tabs to the next stop, then spaces
                if to // 8 > frm // 8:
                    out.append("\t")
                    frm += 8 - frm % 8
                else:
                    out.append(" ")
                    frm += 1
            pos += max_len
        out.append("\n")
    return "".join(out)


def run(sh: Shell, node: A.For) -> int:
    items = list(sh.state.positional) if node.words is None else sh.expander.words(node.words)
    if not items:  # bash: no words, no menu, status 0
        return 0
    status = 0
    show = True
    while True:
        sh.check()
        try:
            columns = int(sh.get_var("COLUMNS") or "80")
        except ValueError:
            columns = 80
        if show:
            sh.write_err(_menu(items, columns if columns > 0 else 80))
        sh.write_err(sh.get_var("PS3") if sh.get_var("PS3") is not None else "#? ")
        if sh.run_command(["read"]) != 0:
            out = sh.io.get(1)
            if out is not None:
                out.write(b"\n")
            return 1
        reply = sh.get_var("REPLY") or ""
        if not reply:
            show = True
            continue
        choice = ""
        if reply.strip().lstrip("+-").isdigit() and 1 <= int(reply) <= len(items):
            choice = items[int(reply) - 1]
        sh.set_var(node.var, choice)
        status, ctl = sh._loop_body(node.body)
        if ctl == "break":
            return status
        show = not (sh.get_var("REPLY") or "")

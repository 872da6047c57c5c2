"""``git diff --word-diff[=plain|porcelain]``: a port of git's word diff (``diff.c``:
``diff_words_show``, ``fn_out_diff_words_aux``, ``fn_out_diff_words_write_helper``).

The line hunks are made as usual; each run of removed and added lines is then split
into words (runs of non-space; space, tab, newline and CR separate them), the two word
lists are diffed by xdiff with no context, and the new text is printed with removed
words as ``[-…-]`` and added ones as ``{+…+}`` (porcelain: one ``-``/``+``/`` `` line
per piece, ``~`` for a newline). The space between words comes from the new side, so a
change of spacing alone shows no markers, as in git."""

from __future__ import annotations

from .xdiff import script

_SPACE = b" \t\n\r"
_NO_EOL = b"\n\\ No newline at end of file\n"

#: mode -> (old word prefix, suffix), (new word ...), (common text ...), newline
STYLES = {
    "plain": ((b"[-", b"-]"), (b"{+", b"+}"), (b"", b""), b"\n"),
    "porcelain": ((b"-", b"\n"), (b"+", b"\n"), (b" ", b"\n"), b"~\n"),
}


def _words(text: bytes) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            return out
        j = i + 1
        while j < n and text[j] not in _SPACE:
            j += 1
        out.append((i, j))
        i = j


def _write(out: list[bytes], style: tuple[bytes, bytes], newline: bytes, text: bytes) -> None:
    """fn_out_diff_words_write_helper: ``text`` in a style, line by line."""
    while text:
        k = text.find(b"\n")
        piece = text if k < 0 else text[:k]
        if piece:
            out.append(style[0] + piece + style[1])
        if k < 0:
            return
        out.append(newline)
        text = text[k + 1 :]


def _show(out: list[bytes], minus: bytes, plus: bytes, mode: str) -> None:
    """diff_words_show: one run of removed and added lines."""
    old, new, ctx, newline = STYLES[mode]
    if not plus:
        _write(out, old, newline, minus)
        return
    mw, pw = _words(minus), _words(plus)
    current = 0
    for i1, i2, chg1, chg2 in script([minus[b:e] + b"\n" for b, e in mw],
                                     [plus[b:e] + b"\n" for b, e in pw]):  # fmt: skip
        if chg1:
            m_begin, m_end = mw[i1][0], mw[i1 + chg1 - 1][1]
        else:
            m_begin = m_end = mw[i1 - 1][1] if i1 else 0
        if chg2:
            p_begin, p_end = pw[i2][0], pw[i2 + chg2 - 1][1]
        else:
            p_begin = p_end = pw[i2 - 1][1] if i2 else 0
        if current != p_begin:
            _write(out, ctx, newline, plus[current:p_begin])
        if m_begin != m_end:
            _write(out, old, newline, minus[m_begin:m_end])
        if p_begin != p_end:
            _write(out, new, newline, plus[p_begin:p_end])
        current = p_end
    if current != len(plus):
        _write(out, ctx, newline, plus[current:])


def render(hunk_lines: list[bytes], mode: str) -> list[bytes]:
    """The ``@@`` hunks of a patch (as ``diff.hunks`` gives them) in word-diff form."""
    out: list[bytes] = []
    minus: list[bytes] = []
    plus: list[bytes] = []

    def flush() -> None:
        if minus or plus:
            _show(out, b"".join(minus), b"".join(plus), mode)
            minus.clear()
            plus.clear()

    for line in hunk_lines:
        mark, body = line[:1], line[1:]
        if body.endswith(_NO_EOL):
            body = body[: -len(_NO_EOL)] + b"\n"  # git's marker line is eaten
        if mark == b"-":
            minus.append(body)
        elif mark == b"+":
            plus.append(body)
        else:
            flush()
            if mark == b"@" or mode == "plain":
                out.append(line if mark == b"@" else body)
            else:
                out.append(b" " + body + b"~\n")
    flush()
    return out

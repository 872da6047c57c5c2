"""Each kind of tampering, done with raw sqlite3 on the file, is found at the
right row. The log: row 1 is the header, rows 2-31 are 30 events (no key)."""

from __future__ import annotations

import pytest

from corral.audit import AuditLog, row_hash, verify

from ._util import edit_body, forge_row, make_log, raw, rehash, renumber, row, swap_rows


@pytest.fixture
def log30(tmp_path):
    path = tmp_path / "audit.db"
    assert make_log(path, 30) == list(range(2, 32))
    assert verify(path).ok
    return path


def bad(path, first_bad, problem, **kw):
    result = verify(path, **kw)
    assert not result.ok, result
    assert (result.first_bad_seq, result.problem) == (first_bad, problem), result
    return result


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("body", '{"i":8,"msg":"nothing happened"}'),
        ("time", 12345.0),
        ("kind", "note"),
        ("session", "someone-else"),
        ("prev_hash", "1" * 64),
        ("hash", "f" * 64),
    ],
)
def test_edited_row_is_named(log30, column, value):
    with raw(log30) as conn:
        conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = 10", (value,))
    result = bad(log30, 10, "row 10: hash mismatch (edited)")
    assert result.rows == 31


def fix_hash(conn, seq):
    """Recompute one row's own hash (and nothing else)."""
    t, kind, session, body, prev_hash = row(conn, seq)[1:6]
    h = row_hash(seq, t, kind, session, body, prev_hash)
    conn.execute("UPDATE entries SET hash = ? WHERE seq = ?", (h, seq))


def test_edit_with_the_rows_own_hash_recomputed_breaks_the_next_link(log30):
    with raw(log30) as conn:
        edit_body(conn, 20, {"i": 18, "msg": "rewritten"})
        fix_hash(conn, 20)
    # row 20 is self-consistent now; row 21 still points at the old row 20
    bad(log30, 21, "row 21: prev_hash does not match row 20 (reordered or inserted)")


def test_rewriting_the_chain_to_the_end_is_not_detectable_without_a_key(log30):
    """Documented limit: that is what keys, checkpoints and anchors are for."""
    with raw(log30) as conn:
        edit_body(conn, 10, {"i": 8, "msg": "rewritten"})
        rehash(conn, 10)
    assert verify(log30).ok


def test_deleted_middle_row(log30):
    with raw(log30) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 10")
    result = bad(log30, 10, "row 10 missing (deleted; chain jumps from 9 to 11)")
    assert result.rows == 30


def test_deleted_run_of_rows(log30):
    with raw(log30) as conn:
        conn.execute("DELETE FROM entries WHERE seq BETWEEN 10 AND 12")
    bad(log30, 10, "row 10 missing (deleted; chain jumps from 9 to 13)")


def test_deleted_first_row(log30):
    with raw(log30) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 1")
    bad(log30, 1, "row 1 missing (deleted; chain starts at 2)")


def test_deleted_row_with_later_rows_renumbered_to_close_the_gap(log30):
    with raw(log30) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 10")
        renumber(conn, 11, -1)
    bad(
        log30,
        10,
        "row 10 missing (deleted; later rows renumbered: row 10 was originally row 11)",
    )


def test_deleted_last_row_without_key_is_only_caught_by_an_anchor(tmp_path):
    """Documented limit: cutting off the tail leaves a valid (shorter) chain.
    An anchor (``AuditLog.head()`` kept elsewhere) catches it."""
    path = tmp_path / "audit.db"
    make_log(path, 30)
    with AuditLog(path) as log:
        anchor = log.head()
    assert anchor[0] == 31
    with raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 31")
    assert verify(path).ok and verify(path).rows == 30
    bad(
        path,
        31,
        "row 31 missing (log cut off after row 30; the anchor expects row 31)",
        anchor=anchor,
    )


def test_anchor_detects_rewrite_before_it(log30):
    with AuditLog(log30) as log:
        anchor = log.head()
    assert verify(log30, anchor=anchor).ok
    with raw(log30) as conn:
        edit_body(conn, 12, {"i": 10, "msg": "rewritten"})
        rehash(conn, 12)
    assert verify(log30).ok  # a full rewrite without a key...
    bad(log30, 31, "row 31: hash differs from the anchor (log rewritten)", anchor=anchor)


def test_forged_row_inserted_in_the_middle(log30):
    with raw(log30) as conn:
        renumber(conn, 10, +1)
        forge_row(conn, 10, {"i": 999, "msg": "this never happened"})
    bad(log30, 10, "row 10 was inserted (row 11 was originally row 10; later rows renumbered)")


def test_forged_row_inserted_in_the_middle_with_a_junk_hash(log30):
    with raw(log30) as conn:
        renumber(conn, 10, +1)
        forge_row(conn, 10, {"i": 999}, valid=False)
    bad(log30, 10, "row 10: hash mismatch (edited)")


def test_forged_row_appended_with_a_junk_hash(log30):
    with raw(log30) as conn:
        forge_row(conn, 32, {"i": 999}, valid=False)
    bad(log30, 32, "row 32: hash mismatch (edited)")


def test_forged_row_appended_with_a_valid_hash_is_not_detectable_without_a_key(log30):
    """Documented limit: anyone can extend an unsigned chain correctly."""
    with raw(log30) as conn:
        forge_row(conn, 32, {"i": 999})
    assert verify(log30).ok


def test_forged_row_inserted_before_the_first(log30):
    with raw(log30) as conn:
        forge_row(conn, 0, {"i": -1})
    bad(log30, 0, "row 0: unexpected seq (inserted)")


def test_bodies_swapped(log30):
    with raw(log30) as conn:
        b5, b9 = row(conn, 5)[4], row(conn, 9)[4]
        conn.execute("UPDATE entries SET body = ? WHERE seq = 5", (b9,))
        conn.execute("UPDATE entries SET body = ? WHERE seq = 9", (b5,))
    bad(log30, 5, "row 5: hash mismatch (edited)")


def test_adjacent_rows_swapped(log30):
    with raw(log30) as conn:
        swap_rows(conn, 5, 6)
    bad(log30, 5, "rows 5 and 6 are swapped (reordered)")


def test_distant_rows_swapped(log30):
    with raw(log30) as conn:
        swap_rows(conn, 5, 9)
    bad(log30, 5, "row 5: hash was computed for row 9 (reordered)")


def test_relinked_row_is_named(log30):
    """A row re-pointed at another predecessor, its own hash recomputed."""
    with raw(log30) as conn:
        h3 = row(conn, 3)[6]
        conn.execute("UPDATE entries SET prev_hash = ? WHERE seq = 10", (h3,))
        fix_hash(conn, 10)
    bad(log30, 10, "row 10: prev_hash does not match row 9 (reordered or inserted)")


def test_header_replaced(log30):
    with raw(log30) as conn:
        edit_body(conn, 1, {"hello": "world"})
        rehash(conn, 1)
    bad(log30, 1, "row 1: not a corral audit log header")

"""Signed checkpoints: an HMAC key makes a rewrite of the whole chain from some
row on detectable, up to the last checkpoint.

Layout used here (key, checkpoint_every=10, 40 events, closed): header at 1,
checkpoints at 10, 20, 30, 40 (each covering the row before it) and a closing
checkpoint at 46 covering the last event, 45."""

from __future__ import annotations

import pytest

from corral.audit import AuditError, AuditLog, iter_entries, verify

from ._util import KEY, edit_body, make_log, raw, rehash, renumber


@pytest.fixture
def signed(tmp_path):
    path = tmp_path / "audit.db"
    make_log(path, 40, key=KEY, every=10)
    return path


def bad(path, first_bad, problem, **kw):
    result = verify(path, **kw)
    assert not result.ok, result
    assert (result.first_bad_seq, result.problem) == (first_bad, problem), result
    return result


def test_checkpoints_are_written_on_schedule_and_on_close(signed):
    entries = list(iter_entries(signed))
    cps = [e for e in entries if e.kind == "checkpoint"]
    assert [e.seq for e in cps] == [10, 20, 30, 40, 46]
    assert [e.body["reason"] for e in cps] == ["interval"] * 4 + ["close"]
    by_seq = {e.seq: e for e in entries}
    for cp in cps:
        assert cp.body["covers_seq"] == cp.seq - 1
        assert cp.body["covers_hash"] == by_seq[cp.seq - 1].hash
    result = verify(signed, key=KEY)
    assert result.ok, result
    assert (result.rows, result.checkpoints, result.signed_upto) == (46, 5, 45)
    assert result.signed and result.signatures_checked


def test_without_the_key_only_the_chain_is_checked(signed):
    result = verify(signed)
    assert result.ok and result.signed and not result.signatures_checked
    assert result.signed_upto == 0


def test_wrong_key_is_a_bad_signature(signed):
    bad(
        signed,
        10,
        "checkpoint at row 10: bad signature (wrong key, or the log rewritten)",
        key=b"not the key",
    )


def test_key_given_for_an_unsigned_log(tmp_path):
    path = tmp_path / "audit.db"
    make_log(path, 5)
    bad(
        path,
        1,
        "row 1: the log is not signed (created without a key), but a key was given",
        key=KEY,
    )


def test_wrong_key_before_the_first_checkpoint_is_named(tmp_path):
    path = tmp_path / "audit.db"
    make_log(path, 3, key=KEY, every=10, close=False)
    assert verify(path, key=KEY).ok
    bad(path, 1, "wrong key: the log's header names another key (no checkpoints yet)", key=b"other")


def test_opening_with_the_wrong_key_or_none_is_refused(signed, tmp_path):
    with pytest.raises(AuditError, match="signed; open it with its key"):
        AuditLog(signed)
    with pytest.raises(AuditError, match="wrong key"):
        AuditLog(signed, key=b"other")
    plain = tmp_path / "plain.db"
    make_log(plain, 2)
    with pytest.raises(AuditError, match="created without a key"):
        AuditLog(plain, key=KEY)
    # an existing log keeps its own schedule
    with AuditLog(signed, key=KEY, checkpoint_every=1000) as log:
        assert log.checkpoint_every == 10
        for i in range(15):
            log.append("note", {"i": i})
    assert verify(signed, key=KEY).ok


def test_deleting_the_last_rows_covered_by_a_checkpoint(signed):
    with raw(signed) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 45")
    bad(signed, 45, "row 45 missing (deleted; chain jumps from 44 to 46)", key=KEY)


def test_deleting_covered_rows_and_renumbering_the_checkpoint(signed):
    with raw(signed) as conn:
        conn.execute("DELETE FROM entries WHERE seq IN (44, 45)")
        renumber(conn, 46, -2)
        rehash(conn, 44)  # the checkpoint's own hash and link recomputed
    problem = (
        "checkpoint at row 44: covers row 45, not row 43 (rows deleted, inserted or renumbered)"
    )
    bad(signed, 44, problem, key=KEY)
    bad(signed, 44, problem)  # a structural check: found without the key too


def test_deleting_covered_rows_and_forging_the_checkpoint(signed):
    with raw(signed) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 45")
        renumber(conn, 46, -1)
        rehash(conn, 45, checkpoints="forge")
    bad(
        signed,
        45,
        "checkpoint at row 45: bad signature (wrong key, or rows after row 39 rewritten)",
        key=KEY,
    )
    assert verify(signed).ok  # without the key a forged checkpoint looks fine


def test_cutting_off_the_tail_with_its_checkpoint_needs_an_anchor(signed):
    """Documented limit: deleting the last rows *and* the checkpoints after
    them leaves a shorter log that verifies; an anchor kept elsewhere catches it."""
    with AuditLog(signed, key=KEY) as log:
        anchor = log.head()
    assert anchor[0] == 46
    with raw(signed) as conn:
        conn.execute("DELETE FROM entries WHERE seq >= 44")
    result = verify(signed, key=KEY)
    assert result.ok and result.signed_upto == 39
    bad(
        signed,
        44,
        "row 46 missing (log cut off after row 43; the anchor expects row 46)",
        key=KEY,
        anchor=anchor,
    )


@pytest.mark.parametrize(
    ("mode", "problem", "detected_without_key"),
    [
        (
            "keep",
            "checkpoint at row 20: covered hash does not match row 19 (log rewritten after row 9)",
            True,
        ),
        (
            "note",
            "row 20: expected a signed checkpoint here (every 10 rows), found a 'note' "
            "row (log rewritten after row 9)",
            True,
        ),
        (
            "forge",
            "checkpoint at row 20: bad signature (wrong key, or rows after row 9 rewritten)",
            False,
        ),
    ],
)
def test_full_chain_rewrite_is_caught_at_the_next_checkpoint(
    signed, mode, problem, detected_without_key
):
    with raw(signed) as conn:
        edit_body(conn, 15, {"i": 13, "msg": "this is not what happened"})
        rehash(conn, 15, checkpoints=mode)
    bad(signed, 20, problem, key=KEY)
    assert verify(signed).ok is not detected_without_key


def test_rewrite_after_the_last_checkpoint_is_not_covered(tmp_path):
    """Documented limit: rows after the last valid checkpoint carry no
    signature. ``signed_upto`` says how far the signatures reach."""
    path = tmp_path / "audit.db"
    make_log(path, 33, key=KEY, every=10, close=False)  # crashed: no closing checkpoint
    result = verify(path, key=KEY)
    assert (result.ok, result.rows, result.signed_upto) == (True, 37, 29)
    with raw(path) as conn:
        edit_body(conn, 32, {"i": 28, "msg": "rewritten after the last checkpoint"})
        rehash(conn, 32)
    result = verify(path, key=KEY)
    assert (result.ok, result.signed_upto) == (True, 29)  # not detectable
    with raw(path) as conn:
        edit_body(conn, 29, {"i": 26, "msg": "rewritten before it"})
        rehash(conn, 29)
    bad(
        path,
        30,
        "checkpoint at row 30: covered hash does not match row 29 (log rewritten after row 19)",
        key=KEY,
    )


def test_manual_checkpoint(tmp_path):
    path = tmp_path / "audit.db"
    with AuditLog(path, key=KEY) as log:
        log.append("note", {"a": 1})
        assert log.checkpoint() == 3
        assert log.checkpoint() is None  # already signed up to here
    with AuditLog(tmp_path / "plain.db") as plain:
        assert plain.checkpoint() is None
    result = verify(path, key=KEY)
    assert result.ok and result.checkpoints == 1 and result.signed_upto == 2

"""The guest channel: how a WebAssembly guest's driver answers the host.

The host sends one request per line on the guest's stdin: ``<id> <json>``,
where ``<id>`` is a fresh :func:`secrets.token_hex` per request. The driver
answers on the guest's stdout with frames that echo that id::

    \\x00CRL <id:32 hex> <length:decimal> \\n <length bytes of JSON>

Everything else on stdout is what user code wrote to fd 1 itself
(``os.write(1, ...)``, ``std.out.puts``): it is output of the call, never a
frame, and counts against the output budget. A frame marker with another
call's id (stale or forged), a malformed header, a payload that is not a JSON
object (of any depth) or larger than the frame limit is a :class:`ChannelError`
and ends the call. :class:`FrameReader` parses in time linear in the input.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

MAGIC = b"\x00CRL"
ID_LEN = 32
_MAX_DIGITS = 12
FRAME_MAX = 64 * 1024 * 1024
#: the most JSON values one frame may hold, bounded by its bytes before it is parsed: a
#: value past the first follows a ``,`` ``:`` ``[`` or ``{`` (counted inside strings too,
#: an over-count). Each value is 50-70 bytes of Python object on the host: a 63 MB frame
#: of ``{}`` was 1.3 GB of the host's memory; this bounds a frame's objects to ~70 MB
#: (one big string stays one value)
FRAME_VALUES_MAX = 1_000_000


class ChannelError(Exception):
    """The guest broke the channel protocol."""


def new_id() -> str:
    return secrets.token_hex(ID_LEN // 2)


def encode_request(rid: str, obj: dict[str, Any]) -> bytes:
    """One host-to-guest line (JSON escapes every newline inside it)."""
    return f"{rid} {json.dumps(obj, separators=(',', ':'))}\n".encode()


def encode_frame(rid: str, obj: dict[str, Any]) -> bytes:
    """A guest-to-host frame, as the drivers write it (used by the tests)."""
    payload = json.dumps(obj, separators=(",", ":")).encode()
    return MAGIC + rid.encode() + str(len(payload)).encode() + b"\n" + payload


class FrameReader:
    """Splits the guest's stdout into user bytes and frames for one expected id."""

    def __init__(self, frame_max: int = FRAME_MAX) -> None:
        self.frame_max = frame_max
        self._buf = bytearray()
        self._pos = 0
        self._want = 0  # bytes needed from _pos before a frame can be complete
        self._id = b""

    def expect(self, rid: str) -> None:
        self._id = rid.encode()

    def reset(self) -> None:
        self._buf = bytearray()
        self._pos = self._want = 0

    @property
    def pending(self) -> int:
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos * 2 >= len(self._buf):
            del self._buf[: self._pos]  # amortized: each byte moves O(1) times
            self._pos = 0
        self._buf += data

    def next(self) -> tuple[str, Any] | None:
        """``("raw", bytes)``, ``("frame", dict)``, or None when more input is needed."""
        buf, pos = self._buf, self._pos
        n = len(buf)
        if n - pos < max(self._want, 1):
            return None
        self._want = 0
        i = buf.find(MAGIC, pos)
        if i < 0:
            end = n - _partial_magic(buf, pos)
            if end <= pos:
                self._want = n - pos + 1
                return None
            self._pos = end
            return "raw", bytes(buf[pos:end])
        if i > pos:
            self._pos = i
            return "raw", bytes(buf[pos:i])
        head = pos + len(MAGIC) + ID_LEN
        if n < head:
            self._want = head - pos
            return None
        if buf[pos + len(MAGIC) : head] != self._id:
            raise ChannelError("a frame for another call (stale or forged) on the guest channel")
        nl = buf.find(b"\n", head, head + _MAX_DIGITS + 1)
        if nl < 0:
            if n - head > _MAX_DIGITS:
                raise ChannelError("a malformed frame header on the guest channel")
            self._want = n - pos + 1
            return None
        digits = bytes(buf[head:nl])
        if not digits.isdigit():
            raise ChannelError("a malformed frame header on the guest channel")
        length = int(digits)
        if length > self.frame_max:
            raise ChannelError(
                f"a guest frame of {length} bytes exceeds the {self.frame_max} byte limit"
            )
        end = nl + 1 + length
        if n < end:
            self._want = end - pos
            return None
        payload = bytes(buf[nl + 1 : end])
        self._pos = end
        if length > FRAME_VALUES_MAX:  # shorter frames cannot hold more values
            values = 1 + sum(map(payload.count, (b",", b":", b"[", b"{")))
            if values > FRAME_VALUES_MAX:
                raise ChannelError(
                    f"a guest frame of up to {values} JSON values (corral parses at most "
                    f"{FRAME_VALUES_MAX})"
                )
        try:
            msg = json.loads(payload)
        except (ValueError, RecursionError):
            raise ChannelError("a guest frame that is not valid JSON") from None
        if not isinstance(msg, dict):
            raise ChannelError("a guest frame that is not a JSON object")
        return "frame", msg


def _partial_magic(buf: bytearray, pos: int) -> int:
    """How many bytes at the end of ``buf[pos:]`` could start a frame marker."""
    for k in range(min(len(MAGIC) - 1, len(buf) - pos), 0, -1):
        if buf[len(buf) - k :] == MAGIC[:k]:
            return k
    return 0

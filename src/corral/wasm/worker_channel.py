"""The framing between the host and a shell worker.

A frame is a 13-byte header ``kind (u8), id (u32), json_len (u32), blob_len (u32)``
followed by ``json_len`` bytes of JSON (a dict, or nothing) and ``blob_len`` raw bytes
(output, stdin, file contents: never re-encoded). Reading is linear in the size of what
arrives (one buffer, consumed from the front) and every length is checked against a cap
before anything is buffered for it, so a hostile peer can cost at most one capped frame.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import dataclass
from typing import Any, Final

from .guest_channel import FRAME_VALUES_MAX

HEADER: Final = struct.Struct("!BIII")

# kinds
HELLO: Final = 1  # worker -> host: {pid, confinement}
RUN: Final = 2  # host -> worker: {script, ...}, blob = stdin
STDOUT: Final = 3  # worker -> host: blob = bytes written on stdout
STDERR: Final = 4  # worker -> host: blob = bytes written on stderr
REQUEST: Final = 5  # worker -> host: {op, ...}: a question the worker may not answer itself
REPLY: Final = 6  # host -> worker: the answer to request id
DONE: Final = 7  # worker -> host: {status, exceeded, cwd, cpu_s, maxrss}
CANCEL: Final = 8  # host -> worker: interrupt the running script (Ctrl-C)
KINDS: Final = frozenset({HELLO, RUN, STDOUT, STDERR, REQUEST, REPLY, DONE, CANCEL})

MAX_JSON: Final = 8 * 1024 * 1024
MAX_BLOB: Final = 256 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame."""


class FrameTooLarge(ValueError):
    """A frame this end was about to send is over the caps the peer's ``Reader``
    enforces (which would end the channel): nothing was sent."""


@dataclass(slots=True)
class Frame:
    kind: int
    id: int
    data: dict[str, Any]
    blob: bytes


def encode(kind: int, fid: int, data: dict[str, Any] | None = None, blob: bytes = b"") -> bytes:
    js = json.dumps(data, separators=(",", ":")).encode() if data is not None else b""
    return HEADER.pack(kind, fid, len(js), len(blob)) + js + blob


class Sender:
    """Writes whole frames on a socket; safe to share between threads."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def send(
        self, kind: int, fid: int, data: dict[str, Any] | None = None, blob: bytes = b""
    ) -> None:
        js = json.dumps(data, separators=(",", ":")).encode() if data is not None else b""
        if len(js) > MAX_JSON or len(blob) > MAX_BLOB:
            raise FrameTooLarge(f"{len(js)} bytes of JSON and {len(blob)} of data")
        head = HEADER.pack(kind, fid, len(js), len(blob))
        with self.lock:
            if len(blob) < 65536:
                self.sock.sendall(head + js + blob)
            else:
                self.sock.sendall(head + js)
                self.sock.sendall(blob)


class Reader:
    """Turns a byte stream into frames, checking every length and the JSON on the way."""

    def __init__(self, max_json: int = MAX_JSON, max_blob: int = MAX_BLOB) -> None:
        self.buf = bytearray()
        self.max_json = max_json
        self.max_blob = max_blob

    def feed(self, data: bytes) -> list[Frame]:
        self.buf += data
        frames: list[Frame] = []
        buf = self.buf
        while len(buf) >= HEADER.size:
            kind, fid, jlen, blen = HEADER.unpack_from(buf, 0)
            if kind not in KINDS:
                raise ProtocolError(f"unknown frame kind {kind}")
            if jlen > self.max_json or blen > self.max_blob:
                raise ProtocolError(f"frame too large ({jlen} + {blen} bytes)")
            end = HEADER.size + jlen + blen
            if len(buf) < end:
                break
            data_: dict[str, Any] = {}
            if jlen:
                raw = bytes(buf[HEADER.size : HEADER.size + jlen])
                if jlen > FRAME_VALUES_MAX:  # a bound on the objects json.loads would make
                    values = 1 + sum(map(raw.count, (b",", b":", b"[", b"{")))
                    if values > FRAME_VALUES_MAX:
                        raise ProtocolError(
                            f"a frame of up to {values} JSON values (at most {FRAME_VALUES_MAX})"
                        )
                try:
                    obj = json.loads(raw)
                except (ValueError, RecursionError) as e:
                    raise ProtocolError(f"malformed JSON in a frame: {type(e).__name__}") from None
                if not isinstance(obj, dict):
                    raise ProtocolError("a frame's JSON is not an object")
                data_ = obj
            frames.append(Frame(kind, fid, data_, bytes(buf[HEADER.size + jlen : end])))
            del buf[:end]
        return frames

"""The host never blocks on, or reads without end from, a special file an agent left in
its workspace (the class: a FIFO, socket or device where a host read expects a file).

A program of a native tier can ``mkfifo results.json``: ``sb.files.read`` (the trainer's
thread, the server's ``GET …/files/``, an agent's ``read_file`` tool) opened it and waited
forever for a writer, or read without end from a writer that never stops."""

from __future__ import annotations

import errno
import os
import socket
import threading
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.files import Files, Workspace


def _files(root: Path) -> Files:
    return Files(Workspace(root, Budget()), lambda op, path, size: None)


def _in_time(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    box: dict[str, object] = {}

    def go() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "the host blocked on a special file"
    return box


@pytest.mark.parametrize("reader", ["read", "read_bytes", "download", "read_bytes_max"])
def test_a_fifo_is_refused_at_once(tmp_path: Path, reader: str) -> None:
    os.mkfifo(tmp_path / "results.json")
    files = _files(tmp_path)
    if reader == "read_bytes_max":
        box = _in_time(files.read_bytes, "results.json", max_bytes=100)
    else:
        box = _in_time(getattr(files, reader), "/workspace/results.json")
    err = box.get("error")
    assert isinstance(err, OSError) and err.errno == errno.EINVAL, box
    assert "not a regular file" in str(err)


def test_a_fifo_with_a_writer_that_never_stops_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write_forever() -> None:
        fd = os.open(fifo, os.O_RDWR)  # holds both ends: the host's open never waits
        try:
            while not stop.is_set():  # blocks while the pipe is full
                os.write(fd, b"x" * 4096)
        finally:
            os.close(fd)

    w = threading.Thread(target=write_forever, daemon=True)
    w.start()
    try:
        box = _in_time(_files(tmp_path).read_bytes, "out")
        assert isinstance(box.get("error"), OSError), box
    finally:
        stop.set()
        with open(fifo, "rb", buffering=0) as f:  # unblock the writer
            f.read(1 << 20)


def test_a_socket_is_refused(tmp_path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(tmp_path / "sock"))
    try:
        box = _in_time(_files(tmp_path).read_bytes, "sock")
        err = box.get("error")  # the kernel's own ENXIO, at once
        assert isinstance(err, OSError) and err.errno == errno.ENXIO, box
    finally:
        s.close()


def test_regular_files_and_directories_read_as_before(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello")
    (tmp_path / "d").mkdir()
    files = _files(tmp_path)
    assert files.read("a.txt") == "hello"
    assert files.read_bytes("a.txt", max_bytes=2) == b"he"
    with pytest.raises(IsADirectoryError):
        files.read_bytes("d")

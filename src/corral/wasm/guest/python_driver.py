# corral's driver for the CPython WASI guest. It runs as `python -c DRIVER`
# inside the sandbox and keeps one interpreter alive between calls.
#
# Protocol (see corral/channel.py): the host writes one request per line on
# fd 0, "<id> <json>", with a fresh id per request. The driver answers on fd 1
# with frames "\x00CRL<id><length>\n<json>" that echo that id. print() goes
# through _Out, which frames it, caps it and flushes it at the end of a call;
# bytes user code writes to fd 1 or 2 itself are plain output to the host,
# never frames. The driver's state lives in the closure of _main(), not in a
# module the user can import, and it keeps its own references to the
# functions it uses, so user code that rebinds os.write or json.loads does
# not see requests or ids.


def _main():
    import builtins
    import io
    import json
    import os
    import sys
    import time
    import traceback
    import types

    _read_line = open(0, "rb").readline  # noqa: SIM115 -- linear in the line's size
    import select

    _select = select.select  # waiting for fd 0 alone: the host's gate (wasi_shadow)
    _base_env = dict(os.environ)  # the guest's own (PYTHON*, HOME), under each command's
    _write = os.write
    _fstat = os.fstat
    _clock = time.monotonic
    _dumps = json.JSONEncoder(separators=(",", ":")).encode
    _loads = json.JSONDecoder().decode
    _bytes, _len, _str, _isinstance = bytes, len, str, isinstance
    cur = {"id": b"", "max": 64 << 20, "values": 1_000_000}

    def _recv():
        _select([0], [], [])
        line = _read_line()
        if not line:
            raise SystemExit(0)
        rid, _, body = line.partition(b" ")
        return rid, _loads(body.decode())

    def _frame(obj):
        payload = _dumps(obj).encode()  # ASCII: json escapes the rest
        return b"\x00CRL" + cur["id"] + _str(_len(payload)).encode() + b"\n" + payload

    def _send(obj):
        view = memoryview(_frame(obj))
        while view:
            view = view[_write(1, view) :]

    class OutputLimitExceeded(BaseException):
        """Raised in the guest when a call prints more than its output budget."""

    class _Out(io.TextIOBase):
        def __init__(self, stream):
            self.stream = stream
            self.buf = []
            self.size = 0
            self.since = 0.0  # when the oldest buffered text was written

        def writable(self):
            return True

        def write(self, s):
            if not _isinstance(s, _str):
                raise TypeError("write() argument must be str, not " + type(s).__name__)
            st = _state
            n = _len(s)
            if st["dropped"]:
                st["dropped"] += n
                return n
            room = st["cap"] - st["used"]
            if n > room:
                if room > 0:
                    self.buf.append(s[:room])
                st["used"] = st["cap"]
                st["dropped"] = n - max(room, 0)
                self.flush()
                raise OutputLimitExceeded("output budget of %d characters exceeded" % st["cap"])
            st["used"] += n
            now = _clock()
            if not self.buf:
                self.since = now
            self.buf.append(s)
            self.size += n
            # text waits at most half a second: the host's resource samples count the
            # output a call makes as it runs (a printing loop is not a quiet one)
            if self.size > 8192 or st["stream"] or now - self.since >= 0.5:
                self.flush(now - self.since >= 0.5)
            return n

        def flush(self, nudge=False):
            if self.buf:
                data = "".join(self.buf)
                self.buf = []
                self.size = 0
                for i in range(0, _len(data), 1 << 20):
                    _send({"op": "out", "stream": self.stream, "data": data[i : i + (1 << 20)]})
                if _state["stream"] or nudge:
                    # wasmtime completes a write to the FIFO at the guest's next call
                    # into it; make one now, or the frame waits out the user's sleep
                    _fstat(1)

        @property
        def encoding(self):
            return "utf-8"

        def isatty(self):
            return False

    _state = {"cap": 1 << 20, "used": 0, "dropped": 0, "stream": False}
    _stdout = _Out("stdout")
    _stderr = _Out("stderr")

    class ToolError(Exception):
        """A host tool failed, or the call was refused by the capability checks."""

    class ToolDenied(ToolError):
        """The capability checks refused this tool call; the host never saw it."""

    def call(name, args=None, /, **kwargs):
        """Call the host tool NAME with keyword arguments (or one dict)."""
        params = dict(args or {})
        params.update(kwargs)
        try:
            frame = _frame({"op": "tool", "name": name, "args": params})
        except RecursionError:
            raise ToolError("tool %r: arguments nested too deeply" % (name,)) from None
        except (TypeError, ValueError) as e:
            raise ToolError("tool %r: arguments are not JSON: %s" % (name, e)) from None
        if _len(frame) > cur["max"]:
            raise ToolError(
                "tool %r: arguments too large (%d bytes encoded; the limit is %d)"
                % (name, _len(frame), cur["max"])
            )
        if _len(frame) > cur["values"]:  # the host's bound on a frame's JSON values
            values = 1 + sum(frame.count(c) for c in (b",", b":", b"[", b"{"))
            if values > cur["values"]:
                raise ToolError(
                    "tool %r: arguments hold too many values (up to %d; the limit is %d)"
                    % (name, values, cur["values"])
                )
        _stdout.flush()
        _stderr.flush()
        view = memoryview(frame)
        while view:
            view = view[_write(1, view) :]
        _, reply = _recv()
        if reply.get("ok"):
            return reply.get("value")
        cls = ToolDenied if reply.get("kind") == "denied" else ToolError
        raise cls(reply.get("error", "tool call failed"))

    class _Namespace:
        def __init__(self, path):
            self._path = path

        def __getattr__(self, attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _Namespace(self._path + [attr])

        def __call__(self, args=None, /, **kwargs):
            name = _resolve(self._path)
            return call(name, args, **kwargs)

        def __repr__(self):
            return "<corral tool %s>" % "/".join(self._path)

    _tool_names = []

    def _resolve(path):
        for sep in ("/", ".", "_"):
            cand = sep.join(path)
            if cand in _tool_names:
                return cand
        return "/".join(path)

    def _tool_func(name):
        def f(args=None, /, **kwargs):
            return call(name, args, **kwargs)

        f.__name__ = name
        f.__doc__ = "Host tool %r (capability-checked)." % name
        return f

    _mod = types.ModuleType("corral")
    _mod.call = call
    _mod.ToolError = ToolError
    _mod.ToolDenied = ToolDenied
    _mod.OutputLimitExceeded = OutputLimitExceeded
    _mod.tools = _Namespace([])
    sys.modules["corral"] = _mod


    # -- intents: what user code tried that the WASI build cannot do (or opened) --------
    # Reported to the host as {"op": "intent", ...} frames (claims, for the monitor's
    # events), then the call fails as it did before. Capped per call.
    _intents = {"on": False, "n": 0, "busy": False}
    _stdlib = tuple(
        p for p in {sys.prefix, sys.exec_prefix, os.path.dirname(os.__file__)} if p and p != "/"
    )

    def _intent(obj):
        if not _intents["on"] or _intents["busy"] or _intents["n"] >= 1000:
            return
        _intents["busy"] = True
        try:
            _intents["n"] += 1
            obj["op"] = "intent"
            _send(obj)
        except BaseException:
            pass
        finally:
            _intents["busy"] = False

    def _argv_of(args, shell=False):
        if _isinstance(args, (_str, _bytes)) or hasattr(args, "__fspath__"):
            a = os.fsdecode(args)
            return ["/bin/sh", "-c", a] if shell else [a]
        try:
            return [os.fsdecode(x) if _isinstance(x, (_str, _bytes)) else _str(x) for x in args]
        except BaseException:
            return [_str(args)]

    def _spawned(argv, via):
        argv = [a[:4096] for a in argv[:256]] or ["?"]
        _intent({"kind": "spawn", "argv": argv, "via": via})

    # -- the policy's file rules inside /workspace (corral.wasm.filescreen's table):
    # an open, remove or rename of a path the table names is asked of the host first; a
    # refusal is a PermissionError. A check in the guest's own interpreter: it stops an
    # agent that reads what is there, not code that rewrites this driver's closure.
    import re as _re

    _screen = {"on": False, "ask": {}, "allow": {}, "default_allows": True, "asked": {}}

    _LINKING = {"os.link": "link", "os.symlink": "symlink", "os.truncate": "write",
                "os.chmod": "chmod"}

    def _load_screen(table):
        _screen["on"] = False
        _screen["asked"] = {}
        if not _isinstance(table, dict):
            return
        for kind in ("read", "write"):
            entry = table.get(kind) or {}
            for name in ("ask", "allow"):
                text = entry.get(name)
                _screen[name][kind] = _re.compile(text, _re.S) if _isinstance(text, _str) else None
        _screen["default_allows"] = bool(table.get("default_allows"))
        _screen["on"] = True

    def _needs_host(op, path):
        kind = "read" if op == "read" else "write"
        ask = _screen["ask"].get(kind)
        if ask is not None and ask.fullmatch(path):
            return True
        if _screen["default_allows"]:
            return False
        allow = _screen["allow"].get(kind)
        return allow is None or not allow.fullmatch(path)

    def _file_check(op, path):
        if not _screen["on"] or _intents["busy"]:
            return
        paths = [path]
        try:
            real = os.path.realpath(path)
            if real != path:
                paths.append(real)
        except BaseException:
            pass
        for p in paths:
            p = os.path.normpath(p)
            if not (p == "/workspace" or p.startswith("/workspace/")) or not _needs_host(op, p):
                continue
            key = op + "\0" + p
            why = _screen["asked"].get(key)
            if why is None:
                _intents["busy"] = True
                try:
                    _stdout.flush()
                    _stderr.flush()
                    _send({"op": "filecheck", "file_op": op, "path": p[:4096]})
                    _, reply = _recv()
                finally:
                    _intents["busy"] = False
                why = "" if reply.get("ok") else _str(reply.get("reason") or "denied")
                if _len(_screen["asked"]) < 1000:
                    _screen["asked"][key] = why
            if why:
                raise PermissionError(13, "Permission denied (corral: %s)" % why, path)

    def _abs(path):
        if not _isinstance(path, (_str, _bytes)):
            return None
        path = os.fsdecode(path)
        if not path.startswith("/"):
            try:
                path = os.path.join(os.getcwd(), path)
            except OSError:
                return None
        return path

    # Paths relative to a directory descriptor (dir_fd=, os.fwalk, shutil.rmtree): the
    # directories opened through os.open are remembered by device and inode, so a
    # descriptor names the path it was opened as, whatever its number became (dup, dup2);
    # one corral did not see opened names nothing and is refused while rules apply.
    _dir_paths = {}
    _UNKNOWN = object()
    _skip_open = [0]

    def _at(name, dir_fd):
        if _isinstance(name, int):
            return None  # a descriptor itself: opened (and checked) before
        if dir_fd is None or dir_fd == -1:
            return _abs(name)
        if not _isinstance(name, (_str, _bytes)):
            return None
        name = os.fsdecode(name)
        if name.startswith("/"):
            return name
        try:
            st = _fstat(dir_fd)
        except BaseException:
            return _UNKNOWN
        base = _dir_paths.get((st.st_dev, st.st_ino))
        if base is None:
            return _UNKNOWN
        return base + "/" + name

    def _check_at(op, name, dir_fd):
        p = _at(name, dir_fd)
        if p is _UNKNOWN:
            raise PermissionError(
                13, "Permission denied (corral: a path relative to a directory descriptor "
                "corral cannot name, while the policy's file rules apply)", name)
        if p is not None:
            _file_check(op, p)

    def _check_moved_tree(src, dst):
        # a directory's contents get new names under dst: each checked as dst is
        # (`os.rename('x', '.git')` must not bring x/hooks/pre-commit in)
        if not _isinstance(src, _str) or not _isinstance(dst, _str) or not os.path.isdir(src):
            return
        if os.path.islink(src):
            return
        n = 0
        for top, dirs, files in os.walk(src):
            rel = top[_len(src):]
            for name in dirs + files:
                n += 1
                if n > 200000:
                    raise PermissionError(
                        13, "Permission denied (corral: a directory of more than 200000 "
                        "entries cannot be checked against the policy's file rules)", src)
                _file_check("rename", dst + rel + "/" + name)

    def _audit(event, args):
        if event in _LINKING and _screen["on"]:
            # a second name for a file is a way to read or change it (checked as the
            # shell checks ln): the file linked and the new name; a truncate or chmod
            # changes the file itself
            op = _LINKING[event]
            a = tuple(args) + (None, None, None, None)
            if event == "os.link":  # (src, dst, src_dir_fd, dst_dir_fd)
                _check_at(op, a[0], a[2])
                _check_at(op, a[1], a[3])
            elif event == "os.symlink":  # (src, dst, dir_fd): its target is checked when opened
                _check_at(op, a[1], a[2])
            elif event == "os.chmod":  # (path, mode, dir_fd)
                _check_at(op, a[0], a[2])
            else:  # os.truncate (path, length)
                _check_at(op, a[0], None)
            return
        if event in ("os.remove", "os.rename", "os.mkdir", "os.rmdir") and _screen["on"]:
            a = tuple(args) + (None, None, None, None)
            if event == "os.rename":  # (src, dst, src_dir_fd, dst_dir_fd)
                _check_at("delete", a[0], a[2])
                _check_at("rename", a[1], a[3])
                _check_moved_tree(_at(a[0], a[2]), _at(a[1], a[3]))
            else:  # (path, dir_fd) or os.mkdir (path, mode, dir_fd)
                _check_at("delete" if event != "os.mkdir" else "mkdir", a[0], args[-1])
            return
        if event == "open" and _intents["on"]:
            if _skip_open[0]:
                return  # os.open with dir_fd: checked (and reported) by its wrapper
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            if not _isinstance(path, (_str, _bytes)):
                return
            path = os.fsdecode(path)
            if not path.startswith("/"):
                try:
                    path = os.path.join(os.getcwd(), path)
                except OSError:
                    return
            if path.startswith(_stdlib) or path.endswith((".pyc", ".pyo")):
                return  # the interpreter's own imports
            m = mode if _isinstance(mode, _str) else ""
            f = flags if _isinstance(flags, int) else 0
            # WASI's O_RDWR is O_RDONLY|O_WRONLY (and O_RDONLY is not 0): compare the
            # access mode, never test bits
            acc = f & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
            if "a" in m or f & os.O_APPEND:
                op = "append"
            elif any(c in m for c in "wx+") or (not m and acc != os.O_RDONLY):
                op = "write"
            else:
                op = "read"
            _file_check(op, path)
            _intent({"kind": "open", "path": path[:4096], "file_op": op})
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
            try:
                argv = _argv_of(args[1] if event != "os.system" else args[0],
                                shell=event == "os.system")
            except BaseException:
                argv = ["?"]
            _spawned(argv, event)
        elif event in ("socket.connect", "socket.getaddrinfo"):
            try:
                host, port = (args[1][0], args[1][1]) if event == "socket.connect" else args[:2]
                host = host.decode() if _isinstance(host, _bytes) else _str(host)
                ok = _isinstance(port, (int, _str)) and _str(port).isdigit()
                port = int(port) if ok else None
                _intent({"kind": "connect", "host": host[:255], "port": port, "via": event})
            except BaseException:
                pass

    sys.addaudithook(_audit)

    _real_open = os.open
    _S_ISDIR = __import__("stat").S_ISDIR

    def _open(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is not None and dir_fd != -1 and _screen["on"]:
            acc = flags & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
            op = "append" if flags & os.O_APPEND else "write" if acc != os.O_RDONLY else "read"
            _check_at(op, path, dir_fd)
            _skip_open[0] += 1
            try:
                fd = _real_open(path, flags, mode, dir_fd=dir_fd)
            finally:
                _skip_open[0] -= 1
        else:
            fd = _real_open(path, flags, mode, dir_fd=dir_fd)
        try:
            st = _fstat(fd)
            if _S_ISDIR(st.st_mode):
                where = _at(path, dir_fd)
                if _isinstance(where, _str) and _len(_dir_paths) < 100000:
                    _dir_paths[(st.st_dev, st.st_ino)] = os.path.normpath(where)
        except BaseException:
            pass
        return fd

    _open.__name__ = _open.__qualname__ = "open"
    _open.__doc__ = _real_open.__doc__
    os.open = _open
    try:
        import posix as _posix

        _posix.open = _open
    except ImportError:
        pass

    def _no_system(command):
        _spawned(_argv_of(command, shell=True), "os.system")
        raise OSError(58, "wasi does not support processes.")

    def _no_popen(cmd, mode="r", buffering=-1):
        _spawned(_argv_of(cmd, shell=True), "os.popen")
        raise OSError(58, "wasi does not support processes.")

    if not hasattr(os, "system"):
        os.system = _no_system
    os.popen = _no_popen

    def _patch(name, module):
        """Stand-ins in modules that fail before any audit event in the WASI build."""
        if name == "subprocess":
            base = module.Popen

            class Popen(base):
                def __init__(self, args, *a, **kw):
                    _spawned(_argv_of(args, bool(kw.get("shell"))), "subprocess.Popen")
                    super().__init__(args, *a, **kw)

            Popen.__qualname__ = Popen.__name__ = "Popen"
            module.Popen = Popen
        elif name == "socket":
            orig = module.create_connection

            def create_connection(address, *a, **kw):
                try:
                    _intent({"kind": "connect", "host": _str(address[0])[:255],
                             "port": int(address[1]), "via": "socket.create_connection"})
                except BaseException:
                    pass
                try:
                    return orig(address, *a, **kw)
                except AttributeError:  # no getaddrinfo in the WASI build
                    raise OSError(58, "wasi does not support sockets.") from None

            module.create_connection = create_connection

    import importlib.abc
    import importlib.machinery

    class _Patcher(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname not in ("subprocess", "socket"):
                return None
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            real_exec = loader.exec_module

            def exec_module(module):
                real_exec(module)
                try:
                    _patch(fullname, module)
                except BaseException:
                    pass

            loader.exec_module = exec_module
            return spec

    for _m in ("subprocess", "socket"):
        if _m in sys.modules:
            _patch(_m, sys.modules[_m])
    sys.meta_path.insert(0, _Patcher())

    def _scope():
        m = types.ModuleType("__main__")
        m.__dict__.update(__builtins__=builtins, tools=_mod.tools)
        return m

    _user_main = _scope()
    sys.argv = [""]
    try:
        os.chdir("/workspace")
    except OSError:
        pass
    rid, hello = _recv()
    cur["id"] = _bytes(rid)
    cur["max"] = hello.get("frame_max", cur["max"])
    cur["values"] = hello.get("frame_values", cur["values"])
    _send({"op": "ready", "clock_ns": time.monotonic_ns()})

    while True:
        rid, msg = _recv()
        cur["id"] = _bytes(rid)
        del rid
        op = msg.get("op")
        if op == "exit":
            break
        if op != "exec":
            continue
        _tool_names[:] = msg.get("tools", [])
        module = _scope() if msg.get("fresh") else _user_main
        scope = module.__dict__
        for _n in _tool_names:
            if _n.isidentifier():
                scope[_n] = _tool_func(_n)
        _state.update(
            cap=msg.get("cap", 1 << 20), used=0, dropped=0, stream=bool(msg.get("stream"))
        )
        sys.stdout, sys.stderr = _stdout, _stderr
        sys.stdin = io.StringIO(msg.get("stdin") or "")
        _load_screen(msg.get("files"))
        _intents.update(on=True, n=0)
        sys.modules["__main__"] = module
        exit_code = 0
        error = None
        sys.argv = list(msg.get("argv") or [""])
        if msg.get("fresh"):  # a python3 command: the environment its shell gave it
            os.environ.clear()
            os.environ.update(_base_env)
            os.environ.update({str(k): str(v) for k, v in (msg.get("env") or {}).items()})
        fname = "<sandbox>"
        if msg.get("fresh") and sys.argv[0] not in ("-c", ""):
            fname = sys.argv[0]
        try:
            code = compile(msg.pop("code"), fname, "exec")
            del msg
            exec(code, scope)
        except SystemExit as e:
            c = e.code
            if c is None:
                exit_code = 0
            elif isinstance(c, int):
                exit_code = c & 0xFF
            else:
                _stderr.write(str(c) + "\n")
                exit_code = 1
        except OutputLimitExceeded:
            exit_code = 1
            error = {"type": "OutputLimitExceeded", "message": "output budget exceeded"}
        except BaseException as e:
            exit_code = 1
            error = {"type": type(e).__name__, "message": str(e)}
            try:
                tb = "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
                _state["dropped"] = 0
                _state["cap"] = _state["used"] + len(tb)
                _stderr.write(tb)
            except BaseException:
                pass
        _intents["on"] = False
        _screen["on"] = False
        try:
            _stdout.flush()
            _stderr.flush()
        except BaseException:
            pass
        try:
            done = {"op": "done", "exit_code": exit_code, "error": error}
            done["dropped"] = _state["dropped"]
            _send(done)
        except BaseException:
            _send({"op": "done", "exit_code": 1, "error": {"type": "Error", "message": "?"}})
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


_main()

"""corral's persistent Python inside a native sandbox (``Sandbox.python()`` on bwrap/gVisor).

Started by the session's shell as a coprocess (see :mod:`corral.native.session`): requests
``<id> <code file> <stdin file or ->`` arrive on fd 3, answers ``<id> <exit status>`` go to
fd 4; the code's own stdout and stderr are the session's. State (``__main__``) persists
from one request to the next. Runs as ``python3 -I -u`` with the standard library only.
"""

import contextlib
import os
import sys
import traceback
import types


def main() -> None:
    requests = os.fdopen(3, "r", encoding="utf-8", errors="surrogateescape")
    answers = os.fdopen(4, "w", buffering=1, encoding="ascii")
    main_mod = types.ModuleType("__main__")
    main_mod.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main_mod
    sys.argv = [""]
    real_stdin = sys.stdin
    for line in requests:
        parts = line.split()
        if len(parts) != 3:
            continue
        rid, code_path, stdin_path = parts
        status = 0
        try:
            with open(code_path, encoding="utf-8", errors="surrogateescape") as f:
                source = f.read()
            sys.stdin = open(stdin_path if stdin_path != "-" else os.devnull)  # noqa: SIM115
            exec(compile(source, "<sandbox>", "exec"), main_mod.__dict__)
        except SystemExit as e:
            code = e.code
            if code is None:
                status = 0
            elif isinstance(code, int):
                status = code & 0xFF
            else:
                print(code, file=sys.stderr)
                status = 1
        except KeyboardInterrupt:
            traceback.print_exc()
            status = 130
        except BaseException as e:
            tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
            traceback.print_exception(type(e), e, tb)
            status = 1
        finally:
            if sys.stdin is not real_stdin:
                with contextlib.suppress(Exception):
                    sys.stdin.close()
                sys.stdin = real_stdin
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        answers.write(f"{rid} {status}\n")


main()

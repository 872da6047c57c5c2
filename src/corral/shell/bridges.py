"""Commands that leave the shell: the WASI guests (``python``, ``node``),
host tools (``tool NAME --key value``) and network fetches (``curl``,
``wget``), each through the sandbox's checks."""

from __future__ import annotations

import json
import shlex
from typing import Any

from .command import CommandContext, CommandError, UsageError, decode, encode
from .interp import BRIDGES


def bridge(*names: str):
    def deco(fn):
        for n in names:
            BRIDGES[n] = fn
        return fn

    return deco


def _hooks(ctx: CommandContext):
    sh = ctx.extra.get("shell")
    hooks = getattr(sh, "hooks", None)
    if hooks is None:
        raise CommandError("not available outside a sandbox", 127)
    return hooks


@bridge("python", "python3")
def b_python(ctx: CommandContext) -> int:
    """Usage: python [-c CODE | -m MODULE | FILE | -] [ARG]...

    Runs the sandbox's CPython 3.12 (WASI). Each invocation starts with fresh
    globals; stdin, stdout and pipes work as usual."""
    args = ctx.args
    code: str | None = None
    argv0 = "-c"
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-c":
            if i + 1 >= len(args):
                raise CommandError("Argument expected for the -c option", 2)
            code, rest = args[i + 1], args[i + 2 :]
            break
        if a == "-m":
            if i + 1 >= len(args):
                raise CommandError("Argument expected for the -m option", 2)
            mod = args[i + 1]
            rest = args[i + 2 :]
            argv0 = mod
            code = f"import runpy\nrunpy.run_module({mod!r}, run_name='__main__', alter_sys=True)\n"
            break
        if a in ("-u", "-B", "-E", "-s", "-S", "-I", "-O", "-q"):
            i += 1
            continue
        if a in ("-V", "--version"):
            ctx.out("Python 3.12.0\n")
            return 0
        if a == "-":
            code = decode(ctx.stdin.read())
            rest = args[i + 1 :]
            argv0 = "-"
            break
        if a.startswith("-"):
            raise UsageError(f"unknown option {a}")
        try:
            with ctx.open_read(a) as f:
                code = decode(f.read())
        except CommandError as e:  # CPython's words and status
            why = str(e).rpartition(": ")[2]
            if why == "Is a directory":  # CPython looks for its __main__.py there
                raise CommandError(f"can't find '__main__' module in '{a}'", 1) from None
            errno_ = 2 if why == "No such file or directory" else 13
            path = ctx.guest_path(a)
            raise CommandError(f"can't open file '{path}': [Errno {errno_}] {why}", 2) from None
        argv0, rest = a, args[i + 1 :]
        break
    stdin = ""
    if code is None:
        code = decode(ctx.stdin.read())
        argv0 = "-"
    else:
        stdin = decode(ctx.stdin.read()) if not _is_tty(ctx) else ""
    status, out, err = _hooks(ctx).run_guest(
        "python", code, stdin, [argv0, *rest], True, dict(ctx.env)
    )
    ctx.stdout.write(encode(out))
    ctx.stderr.write(encode(err))
    return status


@bridge("node", "js", "nodejs")
def b_node(ctx: CommandContext) -> int:
    """Usage: node [-e CODE | -p EXPR | FILE | -] [ARG]...

    Runs the sandbox's QuickJS-ng (WASI): ECMAScript 2023 with console.log,
    top-level await, and ``process.argv``/``process.env``/``process.exit``;
    no Node.js modules (``require`` is not available)."""
    args = ctx.args
    code: str | None = None
    rest: list[str] = []
    i = 0
    argv1 = "[eval]"
    while i < len(args):
        a = args[i]
        if a in ("-e", "--eval", "-p", "--print"):
            if i + 1 >= len(args):
                raise CommandError(f"{a} requires an argument", 9)
            code = args[i + 1]
            if a in ("-p", "--print"):
                code = f"console.log(eval({json.dumps(code)}))"
            rest = args[i + 2 :]
            break
        if a in ("-v", "--version"):
            ctx.out("v20.0.0-quickjs-ng\n")
            return 0
        if a == "-":
            code = decode(ctx.stdin.read())
            rest = args[i + 1 :]
            break
        if a.startswith("-"):
            raise UsageError(f"bad option: {a}")
        with ctx.open_read(a) as f:
            code = decode(f.read())
        argv1, rest = a, args[i + 1 :]
        break
    stdin = ""
    if code is None:
        code = decode(ctx.stdin.read())
    else:
        stdin = decode(ctx.stdin.read())
    status, out, err = _hooks(ctx).run_guest(
        "js", code, stdin, ["node", argv1, *rest], True, dict(ctx.env)
    )
    ctx.stdout.write(encode(out))
    ctx.stderr.write(encode(err))
    return status


def _is_tty(ctx: CommandContext) -> bool:
    return False


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@bridge("tool")
def b_tool(ctx: CommandContext) -> int:
    """Usage: tool NAME [--KEY VALUE]... [--json '{...}']
       tool --list

    Calls a host tool through the sandbox's capability checks and prints its
    JSON result. Values that parse as JSON (numbers, true, [1,2]) are passed as
    such; anything else is a string. Exit 126 when the call is refused, 1 when
    the tool fails."""
    args = ctx.args
    hooks = _hooks(ctx)
    if not args or args[0] in ("--list", "-l"):
        names = hooks.tool_names() if hasattr(hooks, "tool_names") else []
        for n in names:
            ctx.out(n + "\n")
        return 0 if args else 2
    name = args[0]
    params: dict[str, Any] = {}
    i = 1
    while i < len(args):
        a = args[i]
        if a == "--json":
            if i + 1 >= len(args):
                raise UsageError("--json needs a JSON object")
            try:
                obj = json.loads(args[i + 1])
            except ValueError as e:
                raise UsageError(f"--json: invalid JSON: {e}") from None
            if not isinstance(obj, dict):
                raise UsageError("--json: expected a JSON object")
            params.update(obj)
            i += 2
            continue
        if a.startswith("--") and len(a) > 2:
            key, eq, val = a[2:].partition("=")
            if not eq:
                if i + 1 < len(args) and not args[i + 1].startswith("--"):
                    val = args[i + 1]
                    i += 1
                else:
                    params[key.replace("-", "_")] = True
                    i += 1
                    continue
            params[key.replace("-", "_")] = _value(val)
            i += 1
            continue
        raise UsageError(f"unexpected argument {a!r}; use --KEY VALUE")
    reply = hooks.call_tool(name, params)
    if reply.get("ok"):
        ctx.out(json.dumps(reply.get("value"), ensure_ascii=False) + "\n")
        return 0
    ctx.err(str(reply.get("error", "failed")))
    return 126 if reply.get("kind") == "denied" else 1


@bridge("curl", "wget")
def b_fetch(ctx: CommandContext) -> int:
    """Usage: curl [-sSfLI] [-o FILE] [-O] [-X METHOD] [-H HEADER] [-d DATA] URL
       wget [-q] [-O FILE] URL

    A fetch made by the host on the agent's behalf, only to hosts the network
    policy allows (without a policy, every host is refused)."""
    return _hooks(ctx).fetch(ctx.argv, ctx)


__all__ = ["BRIDGES", "shlex"]

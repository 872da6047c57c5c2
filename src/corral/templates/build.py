"""``corral template build``: run a set-up script once in a sandbox and keep what it
installed as a template's read-only base.

The build sandbox is an ordinary sandbox of the chosen tier (its policy, monitor, egress
proxy and budgets apply) whose ``/usr`` and ``/opt`` are overlays with the new template's
base as their upper layer: what the script writes there (``pip install --prefix
/usr/local``, a program copied to ``/usr/local/bin``, ``/opt/tool``) is the template. The
workspace is a throw-away copy. The build happens in ``.tmp-NAME-*`` under the templates
directory and is renamed to ``NAME`` only once complete; a failing script, a base over
``max_mb``, a kill or a crash leave no template behind (a crash leaves the temp directory,
removed by the next build of that name).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..budget import MB, Budget, RunResult
from .mounts import BuildLayer
from .store import (
    NameLock,
    Template,
    TemplateError,
    TemplateExists,
    TemplateInfo,
    clean_stale,
    commit,
    corral_version,
    digest,
    new_temp,
    normalize,
    now_iso,
    rmtree,
    templates_dir,
    validate_name,
)

__all__ = ["TemplateBuildFailed", "build"]

NATIVE = ("bwrap", "gvisor")


class TemplateBuildFailed(TemplateError):
    """The set-up script failed; ``result`` holds its output."""

    def __init__(self, message: str, result: RunResult | None = None) -> None:
        super().__init__(message)
        self.result = result


def build(
    name: str,
    script: str,
    *,
    backend: str = "bwrap",
    policy: Any = None,
    workspace: str | Path | None = None,
    timeout: float = 1800.0,
    memory_mb: int = 2048,
    max_mb: float = 8192.0,
    replace: bool = False,
    env: dict[str, str] | None = None,
    on_output: Callable[[str, str], None] | None = None,
) -> Template:
    """Build template ``name`` by running ``script`` (bash) in a ``backend`` sandbox under
    ``policy``; a copy of ``workspace`` (if given) is its ``/workspace``. The script may
    change ``/usr`` and ``/opt``; what it changes there becomes the template's base.
    ``max_mb`` caps the base (the build is stopped past it)."""
    validate_name(name)
    if backend not in NATIVE:
        raise TemplateError(
            f"templates are for the native backends ('bwrap', 'gvisor'), not {backend!r}"
        )
    if not isinstance(script, str) or not script.strip():
        raise TemplateError("the set-up script is empty")
    if workspace is not None and not Path(workspace).is_dir():
        raise TemplateError(f"workspace {workspace} is not a directory")
    loaded = None
    if policy is not None:
        from ..policy import load

        loaded = load(policy)  # a bad policy fails before anything is made
    templates_dir().mkdir(parents=True, exist_ok=True)
    with NameLock(name, shared=False):
        clean_stale(name)
        if (templates_dir() / name).exists() and not replace:
            raise TemplateExists(f"template {name!r} exists already (remove it first)")
        tmp = new_temp(name)
        try:
            layer = BuildLayer(base=tmp / "base", work=tmp / "work")
            layer.base.mkdir(mode=0o755)
            layer.work.mkdir(mode=0o700)
            t0 = time.monotonic()
            result, over = _run(
                layer, script, backend, loaded, workspace, timeout, memory_mb, max_mb, env,
                on_output,
            )  # fmt: skip
            seconds = time.monotonic() - t0
            if over:
                raise TemplateBuildFailed(
                    f"template {name!r}: the set-up script wrote more than {max_mb:g} MB into "
                    "the template; the build was stopped",
                    result,
                )
            if result.exit_code != 0 or result.error not in (None, "exit"):
                why = (f"exit code {result.exit_code}" if result.error in (None, "exit")
                       else result.error_message or result.error)  # fmt: skip
                raise TemplateBuildFailed(
                    f"template {name!r}: the set-up script failed ({why}); nothing was kept"
                    f"\n{_tail(result)}",
                    result,
                )
            rmtree(layer.work)
            normalize(layer.base)
            dig, size, files = digest(layer.base)
            pol_text = loaded.model.model_dump_json() if loaded is not None else None
            if pol_text is not None:
                (tmp / "policy.json").write_text(pol_text)
            info = TemplateInfo(
                name=name,
                kind="script",
                backend=backend,
                policy=_policy_label(policy),
                policy_sha256=hashlib.sha256(pol_text.encode()).hexdigest() if pol_text else None,
                script=script,
                created=now_iso(),
                corral_version=corral_version(),
                build_seconds=round(seconds, 3),
                size_bytes=size,
                files=files,
                digest=dig,
            )
            return commit(tmp, name, info, replace=replace)
        finally:
            if tmp.exists():
                rmtree(tmp)


def _run(
    layer: BuildLayer,
    script: str,
    backend: str,
    policy: Any,
    workspace: str | Path | None,
    timeout: float,
    memory_mb: int,
    max_mb: float,
    env: dict[str, str] | None,
    on_output: Callable[[str, str], None] | None,
) -> tuple[RunResult, bool]:
    """Run the script in a build sandbox; (its result, whether the base grew past max_mb)."""
    from ..files import tree_usage
    from ..sandbox import Sandbox

    budget = policy.budget() if policy is not None else Budget()
    budget = budget.with_(wall_s=timeout, memory_mb=max(budget.memory_mb, memory_mb))
    over = threading.Event()
    done = threading.Event()
    with contextlib.ExitStack() as stack:
        ws = workspace
        if ws is None:
            ws = stack.enter_context(tempfile.TemporaryDirectory(prefix="corral-tpl-ws-"))
        sb = Sandbox(backend=backend, policy=policy, workspace=ws, copy_workspace=True,
                     budget=budget, env=env, template=layer)  # fmt: skip
        stack.callback(sb.close)

        def watch() -> None:  # the base's size, polled (the kernel has no quota on it)
            import os

            while not done.wait(0.5):
                try:
                    used, _ = tree_usage(os.open(layer.base, os.O_RDONLY | os.O_DIRECTORY))
                except OSError:
                    continue
                if used > max_mb * MB:
                    over.set()
                    tier = sb._tier  # the build sandbox's tier, started by run()
                    if tier is not None:
                        tier.kill()
                    return

        t = threading.Thread(target=watch, name="corral-template-size", daemon=True)
        t.start()
        try:
            result = sb.run(script, on_output=on_output)
        finally:
            done.set()
            t.join()
    return result, over.is_set()


def _policy_label(policy: Any) -> str | None:
    if policy is None:
        return None
    if isinstance(policy, str | Path) and "\n" not in str(policy):
        return str(policy)
    return getattr(policy, "source", None) or "<inline>"


def _tail(result: RunResult, limit: int = 4000) -> str:
    text = (result.stdout or "") + (result.stderr or "")
    return text[-limit:]

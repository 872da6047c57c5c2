"""Warnings for policies that load but cannot do what they say.

A warning names where the rule was written and why it never applies, e.g.
``policy.yaml:6:12: commands.allow[2]: 'rm' never applies: commands.deny[0] 'rm *' matches
every command it matches and takes precedence``. Checks:

* a command ``allow``/``ask`` rule shadowed by a ``deny`` (or ``ask``) rule of at least
  the same specificity that matches everything it matches (the same pattern listed twice
  included);
* a ``deny``/``ask`` command pattern of several words without ``*`` (it matches only that
  exact line, which is easy to get around by adding an argument);
* a ``commands`` section that denies every command;
* a filesystem ``read``/``write``/``ask`` pattern entirely inside a ``deny`` pattern;
* the same network entry in ``allow`` (or ``ask``) and ``deny``;
* a tool ``allow``/``ask`` rule whose methods a ``deny`` tool rule covers.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from ..capabilities import pattern_is_subset
from .patterns import (
    EXACT,
    GLOB,
    PROGRAM,
    CommandPattern,
    HostPattern,
    compile_cidr,
    compile_path,
)

if TYPE_CHECKING:
    from .engine import Policy

__all__ = ["lint"]

_S = "\x00"
_MAX_SAMPLES = 32


def lint(policy: Policy) -> list[str]:
    """Every warning for ``policy``, each starting with the rule's position."""
    return [
        *_commands(policy),
        *_files(policy),
        *_network(policy),
        *_tools(policy),
    ]


def _where(origin: str, policy: Policy) -> str:
    return origin or policy.source


def _samples(pat: CommandPattern) -> list[str] | None:
    if pat.kind == PROGRAM:
        assert pat.exact is not None
        return [pat.exact, f"{pat.exact} {_S}"]
    if pat.kind == EXACT:
        assert pat.exact is not None
        return [pat.exact]
    if pat.kind != GLOB or not pat.words:
        return None
    options: list[list[str]] = []
    for word in pat.words:
        if word == "*":
            options.append(["", _S])
        else:
            options.append([word.replace("\\*", "\x01").replace("*", _S).replace("\x01", "*")])
    out = []
    for combo in itertools.islice(itertools.product(*options), _MAX_SAMPLES):
        out.append(" ".join(w for w in combo if w))
    return out


def _covers(d: CommandPattern, samples: list[str]) -> bool:
    for line in samples:
        first = line.split(" ", 1)[0]
        prog = first.rsplit("/", 1)[-1]
        base = line if prog == first else prog + line[len(first) :]
        if not d.matches(base, line):
            return False
    return True


def _commands(policy: Policy) -> list[str]:
    out: list[str] = []
    cmds = policy.model.commands
    if cmds is None:
        return out
    rules = list(policy.iter_command_rules())
    for rid, verdict, rule in rules:
        pat = rule.pattern
        if verdict in ("deny", "ask") and pat.kind == EXACT and rule.match is not None:
            out.append(
                f"{_where(rule.origin, policy)}: {rid}: {pat.shown} matches only this exact "
                f"command line; write {pat.text + ' *'!r} to also match it with more arguments"
            )
    severity = {"allow": 0, "ask": 1, "deny": 2}
    for rid, verdict, rule in rules:
        if verdict == "deny":
            continue
        a = rule.pattern
        samples = _samples(a)
        if samples is None:
            continue
        for did, dverdict, drule in rules:
            if severity[dverdict] <= severity[verdict]:
                continue
            d = drule.pattern
            if d.line_rule != a.line_rule:
                continue
            if not d.anywhere and (d.prefix_len, d.level) < (a.prefix_len, a.level):
                continue
            if d.text == a.text or _covers(d, samples):
                how = (
                    f"it is also listed as {did}"
                    if d.text == a.text
                    else f"{did} {d.shown} matches every command it matches"
                )
                out.append(
                    f"{_where(rule.origin, policy)}: {rid}: {a.shown} never applies: {how} "
                    f"and {dverdict} takes precedence"
                )
                break
    if (cmds.default or "deny") == "deny" and not cmds.allow and not cmds.ask:
        out.append(
            f"{policy.source}: commands: every command is denied "
            "(commands.default is deny and there are no allow or ask rules)"
        )
    return out


def _path_samples(text: str) -> list[str]:
    p = text.strip()
    if not p.startswith(("/", "~", "**")):
        p = "**/" + p
    one = p.replace("**", _S).replace("*", _S).replace("?", _S)
    two = p.replace("**", f"{_S}/{_S}").replace("*", _S).replace("?", _S)
    return [one, two]


def _files(policy: Policy) -> list[str]:
    fs = policy.model.filesystem
    if fs is None:
        return []
    out = []
    deny = [(i, compile_path(t)) for i, t in enumerate(fs.deny)]
    for key in ("read", "write", "ask", "ask_write"):
        for i, text in enumerate(getattr(fs, key)):
            samples = _path_samples(text)
            for j, d in deny:
                if all(d.matches(s) for s in samples):
                    where = policy.model.origin_of("filesystem", key, text) or policy.source
                    out.append(
                        f"{where}: filesystem.{key}[{i}]: {text!r} never applies: it is "
                        f"inside filesystem.deny[{j}] {d.text!r} and deny always wins"
                    )
                    break
    return out


def _ident(pat: HostPattern) -> object:
    return pat.network if pat.network is not None else (pat.kind, pat.value)


def _network(policy: Policy) -> list[str]:
    net = policy.model.network
    if net is None:
        return []
    out = []
    denied = [(f"network.deny[{i}]", _ident(p)) for i, p in enumerate(net.compiled("deny"))]
    denied += [
        (f"network.deny_cidrs[{i}]", _ident(compile_cidr(t))) for i, t in enumerate(net.deny_cidrs)
    ]
    for key in ("allow", "ask"):
        for i, pat in enumerate(net.compiled(key)):
            ident = _ident(pat)
            for did, dident in denied:
                if dident == ident:
                    where = policy.model.origin_of("network", key, pat.text) or policy.source
                    out.append(
                        f"{where}: network.{key}[{i}]: {pat.text!r} never applies: "
                        f"it is also listed as {did} and deny wins"
                    )
                    break
    return out


def _tools(policy: Policy) -> list[str]:
    tools = policy.model.tools
    if not tools:
        return []
    out = []
    for i, rule in enumerate(tools):
        if rule.verdict == "deny":
            continue
        literal = len(rule.method.replace("*", ""))
        for j, d in enumerate(tools):
            if d.verdict != "deny":
                continue
            if len(d.method.replace("*", "")) < literal:
                continue
            if pattern_is_subset(rule.method, d.method):
                out.append(
                    f"{_where(rule.origin, policy)}: tools[{i}]: {rule.method!r} never applies: "
                    f"tools[{j}] {d.method!r} denies every method it grants"
                )
                break
    return out

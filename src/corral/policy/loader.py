"""Load policy files: YAML parsing, validation with positions, ``extends`` and layering.

Every problem in a file is reported at once, each as ``file:line:column: path: message``:

    policy.yaml:3:1: unknown top-level key 'comands' (did you mean 'commands'?)
    policy.yaml:7:5: commands.deny[1]: unknown key 'mtach' (expected one of: match, regex, ...)
    policy.yaml:12:14: network.deny_cidrs[0]: '10.0.0.0/33' is not a valid CIDR

YAML is read with YAML 1.2 booleans: only ``true``/``false`` are booleans, so ``on:``,
``yes`` and ``no`` stay strings (``monitor.on`` works, and so does the command ``yes``).
Duplicate keys are errors.

Layering (``extends:`` and :func:`layer`): the bases are applied left to right, then the
file itself. Lists concatenate (base first), scalars set in the override win, mappings
(``principles``, ``monitor.on``) merge with the override winning on the same key, and a
section or key the override leaves out keeps the base's value. Layering never reorders
rule precedence: for commands, the most specific rule decides and ``deny`` beats ``ask``
beats ``allow`` at equal specificity, whichever layer each rule came from. So extending
``default`` and adding ``allow: ["mount *"]`` does not unlock ``mount`` (``deny: [mount]``
has the same specificity and wins), while a more specific allow such as
``pip install -r requirements.txt`` does carve an exception out of ``ask: [pip install *]``.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
import types
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import CorralError
from .schema import PolicyModel, _describe

if TYPE_CHECKING:
    from .engine import Policy

__all__ = [
    "BUILTIN_NAMES",
    "PolicyError",
    "Problem",
    "builtin",
    "builtin_text",
    "from_dict",
    "from_yaml",
    "layer",
    "layer_models",
    "load",
    "load_file",
    "starter_text",
]

BUILTIN_NAMES = ("default", "permissive", "strict")


# ------------------------------------------------------------------------------ errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy file."""

    source: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ProblemsError(CorralError):
    """A file of ``what`` (policy, rules) could not be loaded; ``problems`` lists every
    problem found."""

    what = "file"

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {self.what} {source}".rstrip()
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems, self.source))


class PolicyError(ProblemsError):
    """A policy could not be loaded; ``problems`` lists every problem found."""

    what = "policy"


# -------------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (``on``/``yes``/``no`` stay strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def parse_yaml(
    text: str, source: str, error: type[Exception] | None = None
) -> tuple[yaml.Node | None, Any]:
    """Compose and construct one YAML document, keeping the node for positions.
    A syntax error is raised as ``error`` (default :class:`PolicyError`) with
    its line and column; the monitor's rule loader uses this too."""
    error = error or PolicyError
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise error(
            [Problem(source, line, col, "", f"YAML syntax error: {what}")], source
        ) from None
    except yaml.YAMLError as exc:
        raise error([Problem(source, None, None, "", f"YAML error: {exc}")], source) from None
    finally:
        loader.dispose()
    return node, data


def _pos(source: str, node: yaml.Node | None) -> tuple[int | None, int | None]:
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1


def _duplicates(node: yaml.Node | None, source: str, path: str = "") -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    line, col = _pos(source, key)
                    first = seen[key.value].start_mark.line + 1
                    problems.append(
                        Problem(
                            source,
                            line,
                            col,
                            path,
                            f"duplicate key {key.value!r} (first given on line {first})",
                        )
                    )
                else:
                    seen[key.value] = key
                sub = f"{path}.{key.value}" if path else str(key.value)
            else:
                sub = path
            problems.extend(_duplicates(value, source, sub))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems.extend(_duplicates(item, source, f"{path}[{i}]"))
    return problems


def _walk(
    node: yaml.Node | None, loc: tuple[Any, ...]
) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The value node at ``loc`` (as deep as it exists) and the key node of its last step."""
    key_node = None
    for element in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(element, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == element:
                    key_node, node = k, v
                    break
            else:
                return node, None
        elif isinstance(node, yaml.SequenceNode) and isinstance(element, int):
            if element >= len(node.value):
                return node, None
            key_node, node = None, node.value[element]
        else:
            return node, None
    return node, key_node


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for element in loc:
        if isinstance(element, int):
            out += f"[{element}]"
        elif isinstance(element, str) and not element.startswith(("[", "function-")):
            out += f".{element}" if out else element
    return out


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` from a type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _type_at(loc: tuple[Any, ...]) -> Any:
    """The declared type at a validation ``loc`` (None when it cannot be followed)."""
    tp: Any = PolicyModel
    for element in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(element, str):
            field = tp.model_fields.get(element)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is list and isinstance(element, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def _message(err: Any) -> tuple[tuple[Any, ...], str, bool]:
    """(loc to point at, message, point at the key rather than the value)."""
    kind = err["type"]
    loc = tuple(err["loc"])
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = loc[-1]
        parent = _type_at(loc[:-1])
        fields = list(parent.model_fields) if isinstance(parent, type) else []
        if len(loc) == 1:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)"
                if close
                else f" (expected one of: {', '.join(fields)})"
            )
            return loc, f"unknown top-level key {key!r}{hint}", True
        return loc, f"unknown key {key!r} (expected one of: {', '.join(fields)})", True
    if kind == "missing":
        return loc[:-1], f"missing required key {loc[-1]!r}", False
    if kind == "literal_error":
        if loc == ("version",):
            return loc, f"unsupported version {value!r} (this corral reads version 1)", False
        return (
            loc,
            f"expected {ctx.get('expected', 'one of the listed values')}, got {_describe(value)}",
            False,
        )
    simple = {
        "string_type": "a string",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "float_type": "a number",
        "float_parsing": "a number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
    }
    if kind in simple:
        return loc, f"expected {simple[kind]}, got {_describe(value)}", False
    if kind == "greater_than":
        bound = ctx.get("gt")
        shown = f"{bound:g}" if isinstance(bound, int | float) else repr(bound)
        return loc, f"must be greater than {shown}, got {value!r}", False
    msg = str(err.get("msg", kind))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return loc, msg, False


def _validation_problems(
    exc: ValidationError, node: yaml.Node | None, source: str
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc, message, at_key = _message(err)
        value_node, key_node = _walk(node, loc)
        target = key_node if at_key and key_node is not None else value_node
        line, col = _pos(source, target)
        path = _path(loc[:-1]) if at_key else _path(loc)
        problems.append(Problem(source, line, col, path, message))
    return problems


def _sort(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line or 0, p.column or 0, p.path, p.message))


# ---------------------------------------------------------------------------- origins


def _set_origins(model: PolicyModel, node: yaml.Node | None, source: str) -> None:
    def where(loc: tuple[Any, ...]) -> str:
        value_node, _ = _walk(node, loc)
        line, col = _pos(source, value_node if node is not None else None)
        return f"{source}:{line}:{col}" if line is not None else source

    if model.commands is not None:
        for verdict in ("allow", "ask", "deny"):
            for i, rule in enumerate(getattr(model.commands, verdict)):
                rule._origin = where(("commands", verdict, i))
                rule._principle_origin = where(("commands", verdict, i, "principle"))
    for i, tool in enumerate(model.tools or []):
        tool._origin = where(("tools", i))
        tool._principle_origin = where(("tools", i, "principle"))
    origins: dict[tuple[str, str, str], str] = {}
    for section, keys in (
        ("filesystem", ("read", "write", "ask", "ask_write", "deny")),
        ("network", ("allow", "ask", "deny", "deny_cidrs")),
    ):
        part = getattr(model, section)
        if part is None:
            continue
        for key in keys:
            raw = _walk(node, (section, key))[0] if node is not None else None
            single = isinstance(raw, yaml.ScalarNode)  # `deny: "**/.env"` (one string)
            for i, text in enumerate(getattr(part, key)):
                loc = (section, key) if single else (section, key, i)
                origins.setdefault((section, key, text), where(loc))
    model._value_origins = origins


def _origin_of(
    node: yaml.Node | None, loc: tuple[Any, ...], source: str
) -> tuple[int | None, int | None]:
    value_node, _ = _walk(node, loc)
    return _pos(source, value_node if node is not None else None)


# ---------------------------------------------------------------------------- builtins


def builtin_text(name: str) -> str:
    """The YAML text of a built-in policy."""
    if name not in BUILTIN_NAMES:
        raise PolicyError(
            [
                Problem(
                    f"<builtin:{name}>",
                    None,
                    None,
                    "",
                    f"no built-in policy named {name!r} (built-ins: {', '.join(BUILTIN_NAMES)})",
                )
            ],
            name,
        )
    return resources.files("corral.policy").joinpath(f"builtin/{name}.yaml").read_text("utf-8")


def starter_text() -> str:
    """The commented starter policy written by ``corral policy init``."""
    return resources.files("corral.policy").joinpath("starter.yaml").read_text("utf-8")


@cache
def _builtin_cached(name: str) -> Policy:
    from ..monitor import packcache

    text = builtin_text(name)
    with packcache.recording(text, f"builtin:{name}"):  # its regexes' plans, from disk
        return from_yaml(text, source=f"builtin:{name}", _stack=(f"builtin:{name}",))


_BUILTIN_LOCK = threading.RLock()  # a built-in policy may extend another


def builtin(name: str) -> Policy:
    """A built-in policy: ``default``, ``strict`` or ``permissive`` (built once: threads
    making their first sandboxes at once wait for the one build)."""
    with _BUILTIN_LOCK:
        return _builtin_cached(name)


# ------------------------------------------------------------------------------ extends


def _looks_like_path(name: str) -> bool:
    return "/" in name or os.sep in name or name.endswith((".yaml", ".yml"))


def _resolve_extends(
    data: dict[str, Any],
    node: yaml.Node | None,
    source: str,
    base_dir: Path,
    stack: tuple[str, ...],
) -> tuple[list[Policy], list[Problem]]:
    raw = data.get("extends")
    if raw is None:
        return [], []
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        return [], []  # the schema reports it
    bases: list[Policy] = []
    problems: list[Problem] = []
    for i, name in enumerate(items):
        loc: tuple[Any, ...] = ("extends",) if isinstance(raw, str) else ("extends", i)
        line, col = _origin_of(node, loc, source)
        path = _path(loc)
        if not isinstance(name, str) or not name.strip():
            continue  # the schema reports it
        if not _looks_like_path(name) and name in BUILTIN_NAMES:
            key = f"builtin:{name}"
            if key in stack:
                chain = " -> ".join([*stack, key])
                problems.append(Problem(source, line, col, path, f"circular extends: {chain}"))
                continue
            bases.append(builtin(name))
            continue
        file = (base_dir / os.path.expanduser(name)).resolve()
        if not file.is_file():
            problems.append(
                Problem(
                    source,
                    line,
                    col,
                    path,
                    f"cannot extend {name!r}: no built-in policy of that name "
                    f"({', '.join(BUILTIN_NAMES)}) and no file {str(file)!r}",
                )
            )
            continue
        if str(file) in stack:
            chain = " -> ".join([*stack, str(file)])
            problems.append(Problem(source, line, col, path, f"circular extends: {chain}"))
            continue
        try:
            bases.append(load_file(file, _stack=(*stack, str(file))))
        except PolicyError as exc:
            problems.extend(exc.problems)
    return bases, problems


def _principle_problems(
    data: dict[str, Any], node: yaml.Node | None, source: str, declared: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    names = ", ".join(sorted(declared)) or "none"

    def check(loc: tuple[Any, ...], rule: Any) -> None:
        if not isinstance(rule, dict):
            return
        name = rule.get("principle")
        if isinstance(name, str) and name not in declared:
            line, col = _origin_of(node, (*loc, "principle"), source)
            problems.append(
                Problem(
                    source,
                    line,
                    col,
                    _path(loc),
                    f"principle {name!r} is not declared (declared: {names}); "
                    "add it under 'principles:'",
                )
            )

    commands = data.get("commands")
    if isinstance(commands, dict):
        for verdict in ("allow", "ask", "deny"):
            rules = commands.get(verdict)
            if isinstance(rules, list):
                for i, rule in enumerate(rules):
                    check(("commands", verdict, i), rule)
    tools = data.get("tools")
    if isinstance(tools, list):
        for i, rule in enumerate(tools):
            check(("tools", i), rule)
    return problems


# ------------------------------------------------------------------------------ loading


def _build(
    data: Any,
    node: yaml.Node | None,
    source: str,
    base_dir: Path,
    stack: tuple[str, ...],
    problems: list[Problem],
) -> Policy:
    from .engine import Policy

    if data is None:
        problems.append(
            Problem(
                source,
                1 if node is not None else None,
                1 if node is not None else None,
                "",
                "the policy is empty (expected a mapping starting with 'version: 1')",
            )
        )
        raise PolicyError(_sort(problems), source)
    if not isinstance(data, dict):
        line, col = _pos(source, node)
        problems.append(
            Problem(
                source,
                line,
                col,
                "",
                f"the policy must be a mapping of sections (got {_describe(data)})",
            )
        )
        raise PolicyError(_sort(problems), source)
    bases, ext_problems = _resolve_extends(data, node, source, base_dir, stack)
    problems.extend(ext_problems)
    declared: set[str] = set()
    raw_principles = data.get("principles")
    if isinstance(raw_principles, dict):
        declared.update(str(k) for k in raw_principles)
    for base in bases:
        declared.update(base.model.principles)
    problems.extend(_principle_problems(data, node, source, declared))
    model: PolicyModel | None = None
    try:
        model = PolicyModel.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, node, source))
    if problems or model is None:
        raise PolicyError(_sort(problems), source)
    _set_origins(model, node, source)
    merged = model
    if bases:
        merged = bases[0].model
        for base in bases[1:]:
            merged = layer_models(merged, base.model)
        merged = layer_models(merged, model)
    return Policy(merged, source=source)


def from_yaml(
    text: str,
    source: str = "<string>",
    *,
    base_dir: str | os.PathLike[str] | None = None,
    _stack: tuple[str, ...] = (),
) -> Policy:
    """Parse and validate policy YAML. Raises :class:`PolicyError` listing every problem."""
    node, data = parse_yaml(text, source)
    problems = _duplicates(node, source)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return _build(data, node, source, base, _stack or (source,), problems)


def from_dict(data: dict[str, Any], source: str = "<dict>") -> Policy:
    """Validate a policy given as a Python mapping (``extends`` paths are relative to cwd)."""
    return _build(data, None, source, Path.cwd(), (source,), [])


def load_file(path: str | os.PathLike[str], *, _stack: tuple[str, ...] = ()) -> Policy:
    """Load a policy file (``extends`` paths are relative to its directory)."""
    file = Path(path)
    source = str(path)
    try:
        text = file.read_text("utf-8")
    except FileNotFoundError:
        raise PolicyError([Problem(source, None, None, "", "no such file")], source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            [Problem(source, None, None, "", f"cannot read: {exc}")], source
        ) from None
    resolved = str(file.resolve())
    return from_yaml(
        text, source=source, base_dir=file.resolve().parent, _stack=_stack or (resolved,)
    )


def load(src: Any) -> Policy:
    """Load a policy from a :class:`Policy`, a mapping, a path, a built-in name or YAML text.

    A string is a built-in name (``"default"``), else a path when it has no newline and
    names an existing file or ends in ``.yaml``/``.yml``, else YAML text.
    """
    from .engine import Policy

    if isinstance(src, Policy):
        return src
    if isinstance(src, dict):
        return from_dict(src)
    if isinstance(src, os.PathLike):
        return load_file(src)
    if isinstance(src, str):
        if src in BUILTIN_NAMES:
            return builtin(src)
        if "\n" not in src and (src.endswith((".yaml", ".yml")) or Path(src).is_file()):
            return load_file(src)
        if re.fullmatch(r"[\w.+-]+", src.strip()):  # one word: a name, not a policy
            near = difflib.get_close_matches(src.strip(), BUILTIN_NAMES, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise PolicyError(
                [Problem("<policy>", None, None, "", f"no built-in policy named {src!r} "
                         f"(built-ins: {', '.join(BUILTIN_NAMES)}) and no file of that "
                         f"name{hint}")],
                src,
            )  # fmt: skip
        return from_yaml(src)
    raise TypeError(f"cannot load a policy from {type(src).__name__}")


# ----------------------------------------------------------------------------- layering


def _merge_values(base: Any, over: Any) -> Any:
    if isinstance(base, BaseModel) and isinstance(over, BaseModel):
        return _merge_model(base, over)
    if isinstance(base, list) and isinstance(over, list):
        if all(isinstance(x, str) for x in base + over):
            return list(dict.fromkeys(base + over))
        return base + over
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **over}
    return over


def _merge_model(base: BaseModel, over: BaseModel) -> Any:
    merged = _merge_fields(base, over)
    if isinstance(base, PolicyModel) and isinstance(over, PolicyModel):
        merged._value_origins = {**over._value_origins, **base._value_origins}
    return merged


def _merge_fields(base: BaseModel, over: BaseModel) -> Any:
    cls = type(over)
    values: dict[str, Any] = {}
    fields_set: set[str] = set()
    for name in cls.model_fields:
        in_base = name in base.model_fields_set
        in_over = name in over.model_fields_set
        b, o = getattr(base, name), getattr(over, name)
        if in_over and in_base and b is not None and o is not None:
            values[name] = _merge_values(b, o)
        elif in_over:
            values[name] = o
        else:
            values[name] = b
        if in_base or in_over:
            fields_set.add(name)
    return cls.model_construct(_fields_set=fields_set, **values)


def layer_models(base: PolicyModel, override: PolicyModel) -> PolicyModel:
    """Layer two validated policy models (see the module docstring)."""
    merged = _merge_model(base, override)
    assert isinstance(merged, PolicyModel)
    return merged


def layer(base: Policy, override: Policy) -> Policy:
    """A new :class:`Policy`: ``override`` layered over ``base``."""
    from .engine import Policy

    return Policy(layer_models(base.model, override.model), source=override.source)

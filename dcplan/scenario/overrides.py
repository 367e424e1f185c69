"""`--set PATH=VALUE`: override any scenario value by dotted path before validation.

PATH is dotted (`sites.0.power`, `workloads[2].deadline`); a list element may
also be named by its `name` or `id` (`workloads.chat.requests_per_s`). VALUE
is read as YAML 1.2 flow (`6 MW` is a string, `[a, b]` a list, `4` a number),
so an override is validated exactly like the same value written in the file.
"""

from __future__ import annotations

import difflib
import re

from dcplan.diagnostics import Diagnostic, format_path
from dcplan.scenario.loader import YamlProblem, parse_text

_PART_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class OverrideError(ValueError):
    pass


def parse_override(text: str, option: str = "--set") -> tuple[str, object]:
    """'sites.0.power=6 MW' → ('sites.0.power', '6 MW'). `option` names the flag in messages."""
    if "=" not in text:
        raise OverrideError(f"{option} {text!r}: expected PATH=VALUE")
    path, value_text = text.split("=", 1)
    path = path.strip()
    if not path:
        raise OverrideError(f"{option} {text!r}: the PATH before '=' is empty")
    if not value_text.strip():
        raise OverrideError(f"{option} {text!r}: the VALUE after '=' is empty")
    try:
        document = parse_text(value_text, option)
    except YamlProblem as problem:
        if problem.diagnostic.code == "empty-file":  # "#..." is a YAML comment, not a value
            raise OverrideError(f"{option} {text!r}: the VALUE after '=' is only a YAML comment; "
                                f"quote it to mean text") from None
        raise OverrideError(f"{option} {text!r}: {problem.diagnostic.message}") from None
    if document.problems:
        # Tags, merge keys and duplicate keys are errors in a file; they are in a --set VALUE too
        # (before this check `--set x=!!python/name:os.system` silently set x to null).
        raise OverrideError(f"{option} {text!r}: {document.problems[0].message}")
    return path, document.data


def split_path(path: str) -> list[str | int]:
    """`sites.0.power` or `sites[0].power` → ['sites', 0, 'power']. A name after another part needs its dot:
    `sites[0]power` is a typo, not `sites[0].power` (it used to be read as that, silently)."""
    parts: list[str | int] = []
    pos = 0
    for match in _PART_RE.finditer(path):
        gap = path[pos:match.start()]
        name, index = match.groups()
        if parts and name is not None and gap != ".":
            raise OverrideError(f"cannot read path {path!r}: expected '.' before {name!r}")
        if gap not in ("", ".") or (not parts and gap):
            raise OverrideError(f"cannot read path {path!r}")
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        pos = match.end()
    if pos != len(path) or not parts:
        raise OverrideError(f"cannot read path {path!r}")
    return parts


def apply_override(data: dict, path: str, value: object) -> tuple:
    """Set `value` at `path` inside `data` (in place); return the resolved path tuple."""
    parts = split_path(path)
    node = data
    resolved: list = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            index = _list_index(node, part, resolved)
            resolved.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            key = str(part)
            resolved.append(key)
            if last:
                node[key] = value
            else:
                if key not in node:
                    node[key] = {}
                node = node[key]
        else:
            raise OverrideError(f"--set {path}: {format_path(tuple(resolved)) or 'the scenario'} is a single value, "
                                f"not a mapping or list")
    return tuple(resolved)


def _list_index(items: list, part, resolved: list) -> int:
    where = format_path(tuple(resolved))
    if isinstance(part, int):
        if 0 <= part < len(items):
            return part
        raise OverrideError(f"{where} has {len(items)} entries; index {part} is out of range")
    names = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and part in (item.get("name"), item.get("id")):
            return index
        if isinstance(item, dict):
            names += [str(n) for n in (item.get("name"), item.get("id")) if n is not None]
    close = difflib.get_close_matches(str(part), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else (f" (entries: {', '.join(names[:8])})" if names else "")
    raise OverrideError(f"{where} has no entry named {part!r}{hint}")


def override_diagnostic(message: str, source: str = "--set") -> Diagnostic:
    return Diagnostic("bad-override", message, file=source)

"""Reading the YAML files people write (framework mappings, attestations): strict, and every error one line
naming the file, the requirement or record, and the field."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from reporter.assess.framework_model import FrameworkError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one, which
    in a mapping file would drop a requirement's checks without a word)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable mapping key", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, display: str) -> tuple[Any, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrameworkError(f"{display}: cannot read file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameworkError(f"{display}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise FrameworkError(f"{display}: file is empty")
    try:
        return yaml.load(text, Loader=_StrictLoader), raw  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p) or "unparsable"
        if mark is None:
            raise FrameworkError(f"{display}: invalid YAML: {what}") from exc
        req_id, key = _yaml_context(text, mark.line)
        where = f": requirement '{req_id}'" if req_id else ""
        where += f": {key}" if key else ""
        position = f"line {mark.line + 1}, column {mark.column + 1}"
        raise FrameworkError(f"{display}{where}: {position}: invalid YAML: {what}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{display}: invalid YAML: {exc}") from exc


_ITEM_ID_RE = re.compile(r"""^(\s*)-\s+id:\s*["']?(.*?)["']?\s*(#.*)?$""")
_KEY_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:")


def _yaml_context(text: str, line: int) -> tuple[str | None, str | None]:
    """Best effort for a file YAML cannot parse: the requirement and the key around `line`
    (0-based), read from the raw text, so even a truncated file names where it broke."""
    lines = text.splitlines()[: line + 1]
    key = None
    for candidate in reversed(lines):
        m = _KEY_RE.match(candidate)
        if m:
            key = m.group(1)
            break
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("requirements:"))
    except StopIteration:
        return None, key
    items = [(len(m.group(1)), m.group(2)) for ln in lines[start + 1 :] if (m := _ITEM_ID_RE.match(ln))]
    if not items:
        return None, key
    indent = min(i for i, _ in items)  # requirement items sit shallower than their checks
    req_id = next(rid for i, rid in reversed(items) if i == indent)
    return (req_id or None), key


def loc_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe_error(err: ErrorDetails) -> str:
    msg = err["msg"]
    value = err.get("input")
    if err["type"] == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        msg += f" (YAML read {value!r} as a number: quote it)"
    elif err["type"] == "missing":
        msg = "missing required field"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field"
    return msg


def validation_message(display: str, data: Any, exc: ValidationError) -> str:
    errors = exc.errors()
    err = errors[0]
    loc = list(err["loc"])
    prefix = display
    if len(loc) >= 2 and loc[0] == "requirements" and isinstance(loc[1], int):
        index = loc[1]
        req_id = None
        with contextlib.suppress(AttributeError, IndexError, KeyError, TypeError):
            req_id = data["requirements"][index].get("id")
        if isinstance(req_id, str) and req_id.strip():
            prefix += f": requirement '{req_id}'"
        else:
            prefix += f": requirements[{index}]"
        loc = loc[2:]
    field_path = loc_path(loc) or "(top level)"
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{prefix}: {field_path}: {describe_error(err)}{more}"

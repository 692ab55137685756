"""Loading framework files: the shipped ones, then the user's folders (same id overrides)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reporter.assess.framework_model import FRAMEWORK_SUFFIXES, Framework, FrameworkError
from reporter.assess.yaml_files import read_yaml, validation_message
from reporter.checks.registry import CHECKS
from reporter.core.resources import shipped_dir


def load_framework_file(
    path: Path, known_check_ids: set[str] | None = None, *, display: str | None = None
) -> Framework:
    """Read and validate one framework file. `known_check_ids=None` skips the check-id test."""
    display = display or str(path)
    data, raw = read_yaml(path, display)
    if not isinstance(data, dict):
        raise FrameworkError(
            f"{display}: (top level): expected a mapping with id, name, version, ..., requirements;"
            f" found {type(data).__name__}"
        )
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(validation_message(display, data, exc)) from None

    first_seen: dict[str, int] = {}
    for index, req in enumerate(framework.requirements):
        if req.id in first_seen:
            raise FrameworkError(
                f"{display}: requirement '{req.id}': id: duplicate requirement id"
                f" (also requirements[{first_seen[req.id]}]; this is requirements[{index}])"
            )
        first_seen[req.id] = index
        seen_checks: set[str] = set()
        for ci, mapping in enumerate(req.checks):
            if mapping.id in seen_checks:
                raise FrameworkError(
                    f"{display}: requirement '{req.id}': checks[{ci}].id: check '{mapping.id}' is mapped twice"
                )
            seen_checks.add(mapping.id)
            if known_check_ids is not None and mapping.id not in known_check_ids:
                raise FrameworkError(
                    f"{display}: requirement '{req.id}': checks[{ci}].id: unknown check '{mapping.id}'"
                )
            takes = CHECKS[mapping.id].limits if mapping.limits and mapping.id in CHECKS else ()
            for name in mapping.limits:
                if name not in takes:
                    raise FrameworkError(
                        f"{display}: requirement '{req.id}': checks[{ci}].limits.{name}: check '{mapping.id}'"
                        f" does not take this limit (it takes: {', '.join(takes) or 'none'})"
                    )
    framework._source = display
    framework._sha256 = hashlib.sha256(raw).hexdigest()
    return framework


def _framework_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in FRAMEWORK_SUFFIXES)


def _load_dir(paths: list[Path], known: set[str] | None, display_of: Any) -> dict[str, Framework]:
    out: dict[str, Framework] = {}
    for path in paths:
        fw = load_framework_file(path, known, display=display_of(path))
        if fw.id in out:
            raise FrameworkError(f"{fw.source}: id: framework id '{fw.id}' is also defined in {out[fw.id].source}")
        out[fw.id] = fw
    return out


def load_frameworks(extra_dirs: Sequence[Path] = (), known_check_ids: set[str] | None = None) -> dict[str, Framework]:
    """Load the shipped frameworks, then each folder (or single file) of `extra_dirs` in order.

    A file whose id matches an earlier one replaces it (a user can override a shipped mapping);
    two files with the same id in the *same* folder are an error. `known_check_ids` defaults to
    the ids of the check registry. Returns the frameworks sorted by id.
    """
    known = known_check_ids if known_check_ids is not None else set(CHECKS)
    shipped = shipped_dir("frameworks")
    frameworks = _load_dir(_framework_files(shipped), known, lambda p: f"frameworks/{p.name}")
    for extra in extra_dirs:
        extra = Path(extra)
        if extra.is_dir():
            files = _framework_files(extra)
        elif extra.is_file():
            files = [extra]
        else:
            raise FrameworkError(f"{extra}: no such framework file or folder")
        frameworks.update(_load_dir(files, known, str))
    return dict(sorted(frameworks.items()))


def _version_key(framework: Framework) -> tuple[tuple[int, ...], str]:
    """Orders versions by their numbers ("7.0.0" after "1.4.0", "Rev. 5" after "Rev. 4"), the
    text breaking ties, so no release of a framework has to be named in the code."""
    return tuple(int(n) for n in re.findall(r"\d+", framework.version)), framework.version


def default_frameworks(available: Mapping[str, Framework]) -> list[Framework]:
    """The frameworks a pack evaluates when none is named: each file selected by default, and of
    several versions of one framework (same name and publisher) only the newest, so the matrix is
    printed once per framework and not once per CIS release. Sorted by id, like `available`."""
    newest: dict[tuple[str, str], Framework] = {}
    for fw in available.values():
        if not fw.selected_by_default:
            continue
        family = (fw.publisher, fw.name)
        if family not in newest or _version_key(fw) > _version_key(newest[family]):
            newest[family] = fw
    chosen = {fw.id for fw in newest.values()}
    return [fw for fw in available.values() if fw.id in chosen]

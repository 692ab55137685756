"""Locate the data that ships with the package: framework files, templates, the demo snapshot
and its exceptions file."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # reporter/


def shipped_dir(name: str) -> Path:
    """Return the shipped folder `name` ("frameworks" or "templates").

    In a wheel the folders are copied to reporter/_shipped/; in a source checkout (editable
    install, tests) they are read where people edit them, at the top of the repository.
    """
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"reporter's {name}/ folder is missing from this installation")


def demo_snapshot_dir() -> Path:
    return _PACKAGE / "demo_snapshot"


def demo_exceptions_file() -> Path:
    """The demo's risk acceptances and break-glass ticket; beside the snapshot, not in it (a file
    the manifest does not list would fail `verify`)."""
    return _PACKAGE / "demo_exceptions.yaml"

"""The last resort: an exception no command expected is a bug, reported in one line (exit 70).

The traceback goes to a crash log, never to the terminal (a scheduler's log is read by more people
than a crash log, and a traceback of a user error hides the one line that matters). Frames are
written without their local variables, which can hold credentials.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reporter import __version__
from reporter.cli.console import ExitCode, warn

CRASH_DIR_ENV = "REPORTER_CRASH_DIR"


def crash_dir() -> Path:
    """$REPORTER_CRASH_DIR, else $XDG_STATE_HOME/reporter, else ~/.local/state/reporter."""
    if os.environ.get(CRASH_DIR_ENV):
        return Path(os.environ[CRASH_DIR_ENV])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "reporter"


def write_crash_log(exc: BaseException, argv: list[str]) -> Path:
    # The wall clock names the file only; nothing a pack contains depends on it.
    name = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
    text = (
        f"reporter {__version__}, python {sys.version.split()[0]}\n"
        f"command: reporter {' '.join(argv[1:2])} ... ({len(argv) - 1} argument(s); values not logged)\n\n"
        + "".join(traceback.format_exception(exc))
    )
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    raise OSError("no writable folder for the crash log")


def run_guarded(app: Callable[[], object]) -> None:
    """Run the Typer app; turn an unexpected exception into one line and exit 70."""
    try:
        app()
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        try:
            where = f"crash log: {write_crash_log(exc, sys.argv)}"
        except OSError as log_error:
            where = f"no crash log ({log_error})"
        message = str(exc).splitlines()[0] if str(exc) else ""
        warn(f"internal error: {type(exc).__name__}: {message} — {where}", logging.ERROR)
        warn("this is a bug in reporter: please report it with the crash log", logging.ERROR)
        for note in getattr(exc, "__notes__", []):
            warn(note, logging.ERROR)
        raise SystemExit(ExitCode.INTERNAL) from None

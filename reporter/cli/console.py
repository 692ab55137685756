"""What the command line prints, and the exit codes it ends with."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from reporter.cli.logs import json_logs

# The CLI's own stderr lines, under --log-format json; logs.configure lets every level through.
LINES = logging.getLogger("reporter.console")


class StderrConsole(Console):
    """stderr, for a person; under `--log-format json` a log stream that a collector parses, so
    each line printed there becomes one JSON record instead (markup stripped, the redaction filter
    applied), at the `level` the caller gives: INFO unless it says WARNING or ERROR."""

    def print(
        self, *objects: Any, level: int = logging.INFO, extra: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not json_logs():
            super().print(*objects, **kwargs)
            return
        markup = kwargs.get("markup", True) is not False
        text = " ".join(Text.from_markup(o).plain if markup and isinstance(o, str) else str(o) for o in objects)
        LINES.log(level, text, extra=extra)


out = Console()
err = StderrConsole(stderr=True)

LINE_MAX = 1000  # characters of remote text one error line shows


def terminal_line(text: str, limit: int = LINE_MAX) -> str:
    """Text a remote side chose (an AWS error message, which may echo finding text taken from
    CloudTrail) as one short printable line: every control, format (bidi overrides) or line/paragraph
    separator character becomes a space, runs of white space one, and past `limit` it is cut with
    an ellipsis. Rich markup is the caller's to escape."""
    clean = "".join(
        " " if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") else c for c in text
    )
    line = " ".join(clean.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ExitCode:
    """What each exit code means (README "Exit codes", `reporter --help`). When several apply, the
    first of this order wins: 130, 70, 2, 5, 4, 3, 1."""

    OK = 0  # every assessed requirement passes (or --fail-on never)
    FAIL = 1  # a FAIL without a valid exception (--fail-on fail), or NOT_ASSESSED (not-assessed)
    USAGE = 2  # usage or configuration error: nothing was collected or written
    INCOMPLETE = 3  # run: collection incomplete (an error artifact); report: a manifest marked incomplete
    UPLOAD = 4  # --output-bucket: the pack is written and recorded, the upload failed
    INTEGRITY = 5  # the evidence (or a pack) fails verification: nothing rendered, or a stamped pack
    INTERNAL = 70  # a bug in reporter: one line on the terminal, the traceback in a crash log
    INTERRUPTED = 130  # collect stopped by SIGINT/SIGTERM: the snapshot so far finalised as incomplete


EXIT_CODES_HELP = (
    "Exit codes: 0 every assessed requirement passes; 1 a FAIL without a valid exception (see --fail-on);"
    " 2 usage or configuration error; 3 evidence incomplete (an API call failed); 4 upload failed;"
    " 5 integrity failure (a file fails verification); 70 internal error (see the crash log it names);"
    " 130 collect interrupted (Ctrl-C or SIGTERM; continue with --resume)."
)


def fail(message: str, code: int = ExitCode.USAGE) -> typer.Exit:
    """Print a one-line error; the caller raises what this returns."""
    err.print(
        f"[bold red]error:[/] {escape(message)}",
        highlight=False,
        soft_wrap=True,
        level=logging.ERROR,
        extra={"exit_code": code},
    )
    return typer.Exit(code)


def warn(text: str, level: int = logging.WARNING) -> None:
    """A line on stderr printed as it is (no markup: it may hold names from the evidence)."""
    err.print(text, highlight=False, markup=False, soft_wrap=True, level=level)


def say(text: str) -> None:
    """A line of output, printed as it is (no markup, no highlighting)."""
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def finish(code: int) -> None:
    if code:
        raise typer.Exit(code)

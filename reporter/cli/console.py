"""What the command line prints, and the exit codes it ends with."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)


class ExitCode:
    """The exit codes of `report` and `run` (documented in the README). When several apply the
    highest wins, in this order: 2, 4, 3, 1."""

    OK = 0  # every assessed requirement passes (or --fail-on never)
    FAIL = 1  # a FAIL without a valid exception (--fail-on fail), or NOT_ASSESSED (not-assessed)
    USAGE = 2  # usage or configuration error: nothing was collected or written
    INCOMPLETE = 3  # run: collection incomplete (an error artifact in the snapshot)
    UPLOAD = 4  # --output-bucket: the pack is written and recorded, the upload failed


def fail(message: str, code: int = ExitCode.USAGE) -> typer.Exit:
    """Print a one-line error; the caller raises what this returns."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def say(text: str) -> None:
    """A line of output, printed as it is (no markup, no highlighting)."""
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def finish(code: int) -> None:
    if code:
        raise typer.Exit(code)

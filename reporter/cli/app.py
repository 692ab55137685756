"""The `reporter` command line: the Typer app, and which function each command runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from reporter import __version__
from reporter.cli import collect_commands, console, info_commands, logs, pack_commands, verify_commands
from reporter.cli.console import EXIT_CODES_HELP, fail, out
from reporter.cli.crash import run_guarded
from reporter.cli.doctor.command import doctor_command

# Typer's pretty exceptions print every frame's local variables, which can hold credentials; an
# unexpected exception is reported by cli/crash.py instead.
app = typer.Typer(
    no_args_is_help=True,
    add_completion=True,
    help="Monthly AWS root-usage and credential-hygiene audit packs.",
    epilog=EXIT_CODES_HELP,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)
checks_app = typer.Typer(no_args_is_help=True, help="The checks reporter runs.")
app.add_typer(checks_app, name="checks")
frameworks_app = typer.Typer(no_args_is_help=True, help="The compliance frameworks checks are mapped to.")
app.add_typer(frameworks_app, name="frameworks")

app.command("report")(pack_commands.report)
app.command("demo")(pack_commands.demo)
app.command("demo-snapshot")(pack_commands.demo_snapshot)
app.command("verify")(verify_commands.verify)
app.command("keygen")(verify_commands.keygen)
app.command("merge")(verify_commands.merge)
app.command("iam-policy")(info_commands.iam_policy_command)
app.command("collect")(collect_commands.collect_command)
app.command("run")(collect_commands.run_command)
app.command("athena-ddl")(collect_commands.athena_ddl_command)
app.command("doctor")(doctor_command)
checks_app.command("list")(info_commands.checks_list)
frameworks_app.command("list")(info_commands.frameworks_list)
frameworks_app.command("show")(info_commands.frameworks_show)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"reporter {__version__}")
        raise typer.Exit()


def _env_choice(flag: str, metavar: str, choices: tuple[str, ...], text: str) -> Any:
    """An option also read from REPORTER_<NAME> (a scheduled task's environment); a str checked by
    cli/logs.py, so that a wrong value is one line naming the choices, not Click's usage box."""
    envvar = "REPORTER_" + flag.removeprefix("--").replace("-", "_").upper()
    return typer.Option(flag, envvar=envvar, metavar=metavar, help=text, autocompletion=lambda: list(choices))


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour in the output (as NO_COLOR=1 does).")] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Log more on stderr: -v INFO, -vv DEBUG.")
    ] = 0,
    log_level: Annotated[
        str | None, _env_choice("--log-level", "LEVEL", logs.LEVELS, "DEBUG, INFO, WARNING or ERROR; wins over -v.")
    ] = None,
    log_format: Annotated[
        str,
        _env_choice(
            "--log-format",
            "text|json",
            logs.FORMATS,
            "Logs on stderr as text, or one JSON object per line (for CloudWatch; no progress bar).",
        ),
    ] = "text",
) -> None:
    """reporter turns evidence snapshots of AWS accounts into audit packs."""
    # The consoles are not forced to colour, so Rich already honours NO_COLOR; the flag does the
    # same for one run.
    if no_color:
        console.out.no_color = console.err.no_color = True
    try:
        logs.configure(logs.level_of(verbose, log_level), log_format.strip().lower())
    except ValueError as exc:
        raise fail(str(exc)) from None


def cli() -> None:
    """The `reporter` console script and `python -m reporter`."""
    run_guarded(lambda: app(prog_name="reporter"))


if __name__ == "__main__":  # pragma: no cover
    cli()

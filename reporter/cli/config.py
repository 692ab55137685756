"""reporter.toml: every command-line option of `report`, `run` and `collect`, in a file.

So that the monthly job is just `reporter run`. Keys are the long option names (`role-name` or
`role_name`); top-level keys apply to every command that has that option, a `[run]`, `[report]`
or `[collect]` table to that command only (and wins over the top level). Options given on the
command line win over the file, and environment variables (REPORTER_EXTERNAL_ID, …) over the
file too (click's order: command line > environment > config > built-in default).

```toml
organization = true
role-name = "ReporterAudit"
regions = "eu-west-1,us-east-1"
history = "/var/lib/reporter/history.db"
exceptions = "exceptions.yaml"
format = ["json", "xlsx", "pdf"]

[run]
out = "packs/{period}"          # {period} becomes YYYY-MM
output-bucket = "s3://audit-packs/org"
sign-key = "/etc/reporter/reporter.key"   # passphrase: env REPORTER_SIGN_KEY_PASSPHRASE only
fail-on = "fail"
```

A key that is no option of any command, a key in a command table that the command does not
have, or a value of the wrong type is a configuration error (exit 2) naming the file and key.
Secrets (the signing key's passphrase) are never read from the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer

DEFAULT_CONFIG = Path("reporter.toml")
CONFIGURABLE_COMMANDS = ("report", "run", "collect")
# Never from a file: it would sit next to the key it unlocks.
FORBIDDEN = {"passphrase", "sign-key-passphrase", "sign-pdf-passphrase", "config"}


class ConfigError(Exception):
    """The config file is unusable; `str(e)` names the file and the key."""


def _option_names(command: Any) -> dict[str, str]:
    """Long option name (without dashes) -> click parameter name, for the command's options."""
    names: dict[str, str] = {}
    for param in command.params:
        # typer ships its own copy of click: tell options by their kind, not by class.
        if getattr(param, "param_type_name", None) != "option" or param.name is None:
            continue
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                names[opt[2:]] = param.name
    return names


def _normalise(key: str) -> str:
    return key.strip().replace("_", "-")


def read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def defaults_for(path: Path, data: Mapping[str, Any], command_name: str, commands: Mapping[str, Any]) -> dict[str, Any]:
    """The click `default_map` of `command_name` from a parsed config file."""
    known = {name: _option_names(cmd) for name, cmd in commands.items() if name in CONFIGURABLE_COMMANDS}
    every = {k for names in known.values() for k in names}
    mine = known.get(command_name, {})
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in CONFIGURABLE_COMMANDS:
                raise ConfigError(f"{path}: [{key}]: unknown table; use [report], [run] or [collect]")
            continue
        name = _normalise(key)
        if name in FORBIDDEN:
            raise ConfigError(f"{path}: {key}: not allowed in a config file")
        if name not in every:
            raise ConfigError(f"{path}: {key}: no such option (see reporter {command_name} --help)")
        if name in mine:
            out[mine[name]] = value
    section = data.get(command_name) or {}
    for key, value in section.items():
        name = _normalise(key)
        if name in FORBIDDEN:
            raise ConfigError(f"{path}: [{command_name}] {key}: not allowed in a config file")
        if name not in mine:
            raise ConfigError(f"{path}: [{command_name}] {key}: `reporter {command_name}` has no --{name} option")
        out[mine[name]] = value
    return out


def load_defaults(ctx: typer.Context, value: Path | None) -> Path | None:
    """Callback of the eager `--config` option: read the file (or ./reporter.toml when present)
    and install it as the command's defaults before any other option is processed."""
    path = value if value is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    if path is None:
        return None
    group = ctx.parent.command if ctx.parent is not None else None
    commands = dict(getattr(group, "commands", {}) or {})
    if ctx.command.name not in commands and ctx.command.name is not None:
        commands[ctx.command.name] = ctx.command
    try:
        defaults = defaults_for(path, read_config(path), ctx.command.name or "", commands)
        _check_types(path, ctx, defaults)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), ctx) from None
    base = dict(ctx.default_map or {})
    base.update(defaults)
    ctx.default_map = base
    return path


def _check_types(path: Path, ctx: typer.Context, defaults: Mapping[str, Any]) -> None:
    """Convert each value as the option would, so a wrong type names the file and the key."""
    params = {p.name: p for p in ctx.command.params}
    for name, value in defaults.items():
        param = params[name]
        try:
            param.process_value(ctx, value)
        except (typer.BadParameter, ValueError, TypeError) as exc:
            detail = getattr(exc, "message", None) or str(exc)
            raise ConfigError(f"{path}: {param.opts[0].lstrip('-')} = {value!r}: {detail}") from None

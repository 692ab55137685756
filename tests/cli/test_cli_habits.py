"""Shell completion is on, and `python -m reporter` is the same command line as `reporter`."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from reporter import __version__
from reporter.cli.app import app


def test_show_completion_prints_a_bash_script() -> None:
    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="reporter")
    assert result.exit_code == 0
    assert "complete -o default -F _reporter_completion reporter" in result.stdout
    assert "_REPORTER_COMPLETE=complete_bash" in result.stdout


def test_python_dash_m_reporter_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reporter", "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"reporter {__version__}"


def test_python_dash_m_reporter_usage_error_is_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reporter", "iam-policy", "--root-events", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "choose lookup, s3 or athena" in done.stderr and "Traceback" not in done.stderr


def _complete(args: str, incomplete: str) -> list[str]:
    """What bash would offer after `reporter ARGS INCOMPLETE<TAB>`: the protocol the script that
    --show-completion prints speaks (COMP_WORDS/COMP_CWORD and _REPORTER_COMPLETE)."""
    words = ["reporter", *args.split(), incomplete]
    env = {"_REPORTER_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)}
    result = CliRunner().invoke(app, [], env=env, prog_name="reporter")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_framework_ids_complete_after_the_ones_typed() -> None:
    assert "cis-aws-5.0.0" in _complete("report --framework", "cis")
    assert all(v.startswith("cis") for v in _complete("report --framework", "cis"))
    offered = _complete("report --framework", "cis-aws-5.0.0,pci")
    assert offered == ["cis-aws-5.0.0,pci-dss-4.0.1"]


def test_formats_and_root_events_complete() -> None:
    assert _complete("report --format", "x") == ["xlsx"]
    assert _complete("report --format", "pdf,o") == ["pdf,ocsf", "pdf,oscal"]
    assert _complete("doctor --root-events", "") == ["lookup", "s3", "athena"]
    assert _complete("collect --root-events", "a") == ["athena"]


def _usage_error_stderr(*flags: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "reporter", *flags, "iam-policy", "--root-events", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # FORCE_COLOR: a terminal as far as Rich can tell; the caller's own NO_COLOR is dropped.
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, "FORCE_COLOR": "1", **env},
    )
    assert done.returncode == 2
    return done.stderr


def test_no_color_env_and_flag_drop_the_colour() -> None:
    red = "\x1b[1;31m"
    assert red in _usage_error_stderr()
    assert red not in _usage_error_stderr(NO_COLOR="1")
    assert red not in _usage_error_stderr("--no-color")
    assert "error:" in _usage_error_stderr("--no-color")


def test_formats_may_be_repeated_or_comma_separated_and_a_wrong_one_is_named(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path), "--format", "ocsf,asff, junit", "-f", "json", "-f", "ocsf"]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(
        ["findings.ocsf.jsonl", "findings.asff.json", "junit-2026-10.xml", "findings.json", "pack-manifest.json"]
    )
    wrong = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "x"), "--format", "pdf,docx"])
    assert wrong.exit_code == 2 and "'docx': choose from json, xlsx" in wrong.output
    assert not (tmp_path / "x").exists()

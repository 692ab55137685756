"""Shared test setup: no test writes the user's real history database.

`reporter report` and `run` record every pack in `$XDG_DATA_HOME/reporter/history.db` by default;
every test gets its own empty XDG_DATA_HOME, so tests neither read nor pollute ~/.local/share.
The three-account moto organization (tests/moto_world.py) is built once per module that asks for
`world`: building it costs seconds, and no test changes it for the others.
"""

from __future__ import annotations

from collections.abc import Iterator

import moto_gaps
import pytest
from moto import mock_aws
from moto_world import World, build_world


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("REPORTER_SIGN_KEY_PASSPHRASE", raising=False)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    moto_gaps.install()
    moto_gaps.reset()
    with mock_aws():
        yield build_world()
    moto_gaps.reset()

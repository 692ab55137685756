"""Shared test setup: no test writes the user's real history database.

`reporter report` and `run` record every pack in `$XDG_DATA_HOME/reporter/history.db` by default;
every test gets its own empty XDG_DATA_HOME, so tests neither read nor pollute ~/.local/share.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.delenv("REPORTER_SIGN_KEY_PASSPHRASE", raising=False)

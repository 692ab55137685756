"""The trail-log speed-ups are the [trail] extra: without isal, pysimdjson and stringzilla the
scanner falls back to zlib, orjson and memmem (or bytes.find) and must give the same answer for
every object of the scenario bucket (damaged ones included), record for record."""

from __future__ import annotations

import zlib
from dataclasses import asdict
from typing import Any

import pytest
from trail_logs_scenario import objects

from reporter.collect.trail_logs import prefilter, scan


def scanned() -> dict[str, dict[str, Any]]:
    """Each object's scan; a failure's message is the decompressor's own words ("invalid code
    lengths set" from zlib, "Invalid deflate block found" from isal), so only its code is compared."""
    out = {}
    for key, blob in sorted(objects().items()):
        result = asdict(scan.scan_blob(key, blob, with_sha256=True))
        result["error"] = result["error"] is not None
        out[key] = result
    return out


@pytest.mark.parametrize("find", sorted(set(prefilter.BACKENDS) - {"stringzilla"}))
def test_the_fallbacks_give_the_same_records(monkeypatch: pytest.MonkeyPatch, find: str) -> None:
    fast = scanned()
    assert any(r["roots"] for r in fast.values()) and any(r["error_code"] for r in fast.values())
    monkeypatch.setattr(scan, "_simdjson", None)
    monkeypatch.setattr(scan, "_zlib", zlib)
    monkeypatch.setattr(prefilter, "BACKEND", find)
    assert scanned() == fast


def test_the_extra_is_what_the_dev_install_has() -> None:
    # make test runs the fast paths too: the dev extra pulls in [trail].
    assert scan.DECOMPRESSOR == "isal" and scan._simdjson is not None and prefilter.BACKEND == "stringzilla"

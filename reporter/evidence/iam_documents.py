"""The small IAM documents: account summary, virtual MFA devices, password policy."""

from __future__ import annotations

from typing import Any, cast

import orjson
import pandas as pd


class DocumentError(Exception):
    """The artifact is not the document it should be."""


def load_object(data: bytes, source: str) -> dict[str, Any]:
    """The JSON object in `data`, or a DocumentError naming `source` and what is wrong."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DocumentError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise DocumentError(f"{source}: expected a JSON object, found {type(doc).__name__}")
    return doc


def parse_account_summary(data: bytes, source: str) -> dict[str, int]:
    summary = load_object(data, source).get("SummaryMap")
    if not isinstance(summary, dict):
        raise DocumentError(f"{source}: no SummaryMap object")
    bad = [k for k, v in summary.items() if not isinstance(v, int) or isinstance(v, bool)]
    if bad:
        raise DocumentError(f"{source}: SummaryMap.{bad[0]} is not a whole number")
    return summary


def parse_virtual_mfa_devices(data: bytes, source: str) -> pd.DataFrame:
    devices = load_object(data, source).get("VirtualMFADevices")
    if not isinstance(devices, list):
        raise DocumentError(f"{source}: no VirtualMFADevices list")
    rows = []
    for i, device in enumerate(devices):
        if not isinstance(device, dict) or not isinstance(device.get("SerialNumber"), str):
            raise DocumentError(f"{source}: VirtualMFADevices[{i}] has no SerialNumber")
        user = cast("dict[str, Any]", device.get("User")) if isinstance(device.get("User"), dict) else {}
        rows.append(
            {
                "serial_number": device["SerialNumber"],
                "user_arn": user.get("Arn"),
                "user_name": user.get("UserName"),
                "enable_date": device.get("EnableDate"),
            }
        )
    frame = pd.DataFrame(rows, columns=["serial_number", "user_arn", "user_name", "enable_date"])
    frame["enable_date"] = pd.to_datetime(frame["enable_date"], utc=True, format="ISO8601")
    return frame


def parse_password_policy(data: bytes, source: str) -> dict[str, Any] | None:
    """The policy, or None when the account has none (IAM answered NoSuchEntity)."""
    doc = load_object(data, source)
    error = doc.get("Error")
    if isinstance(error, dict) and error.get("Code") == "NoSuchEntity":
        return None
    policy = doc.get("PasswordPolicy")
    if not isinstance(policy, dict):
        raise DocumentError(f"{source}: neither a PasswordPolicy nor a NoSuchEntity answer")
    return policy

"""Stable ids of evidence rows, the ones findings cite and the workbook's evidence sheets carry.

An id names what a row is about, never where it sits: a credential-report row by account and
principal, a root event by its CloudTrail eventID, any other artifact by its snapshot path (and
the key within it). So the same principal's row has the same id next month, whatever rows come
before it, and drift or a risk acceptance can refer to it.

User names, ARNs and eventIDs are attacker-influenced (anyone allowed to create a user or make a
call chooses them): a value outside a short safe charset is hashed, so an id is always plain
`[A-Za-z0-9_.-]` text that no output format has to escape and no reader can mistake.
"""

from __future__ import annotations

import hashlib
import re

# eventIDs are UUIDs (36 characters); account ids twelve digits. Anything else, or longer than
# a PDF cell prints on one line, is hashed rather than trusted.
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
HASH_HEX = 8
ORGANIZATION = "org"


def short_hash(text: str, length: int = HASH_HEX) -> str:
    """The first `length` hex digits of the SHA-256 of `text` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def _safe(text: str) -> str:
    return text if _SAFE.fullmatch(text) else f"h{short_hash(text, 16)}"


def credential_row_id(account_id: str, principal: str, *, is_root: bool = False) -> str:
    """`E-cred-<account>-root`, or `E-cred-<account>-<hash of the principal>` (its ARN, or its
    user name when a damaged row lost the ARN)."""
    who = "root" if is_root else short_hash(principal)
    return f"E-cred-{_safe(account_id)}-{who}"


def event_row_id(event_id: str | None, source: str, location: str) -> str:
    """`E-evt-<eventID>`; a record without an eventID is named by where it was read."""
    if event_id:
        return f"E-evt-{_safe(event_id)}"
    return f"E-evt-h{short_hash(source + chr(10) + location, 16)}"


def artifact_account(path: str) -> str:
    """The account folder an artifact path lies in (`accounts/<id>/…`), else the organization."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "accounts" else ORGANIZATION


def artifact_row_id(path: str, key: str | None = None) -> str:
    """`E-doc-<account>-<hash of path>` for a whole artifact, `…-<hash of key>` for one key in it
    (a trail, a statement, a SummaryMap entry). Every id of one artifact starts alike, so the
    workbook can link each to that artifact's Manifest row."""
    base = f"E-doc-{_safe(artifact_account(path))}-{short_hash(path)}"
    return base if not key else f"{base}-{short_hash(key, 6)}"

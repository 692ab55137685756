"""Make text safe to put in a spreadsheet cell (XLSX and CSV share this one function).

Evidence is attacker-influenced: a CloudTrail `userAgent`, an IAM user name, an error message
can hold `=HYPERLINK("http://x","y")` or `@SUM(A1)`. A spreadsheet program evaluates a cell
that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (CSV injection,
OWASP). Such text is prefixed with a single quote so it stays inert text; the rest of the
value is kept as it was, so an auditor still sees what the evidence said.

XML 1.0 (and so openpyxl, which raises IllegalCharacterError, and lxml under it) cannot hold most
C0 control characters nor U+FFFE and U+FFFF (which a JSON record can spell `\\uffff`); each one is
replaced by a visible `\\xNN` or `\\uNNNN` escape instead of failing the render.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"

# The characters openpyxl refuses (its ILLEGAL_CHARACTERS_RE: C0 controls except tab, LF, CR) and
# the two noncharacters it lets through that lxml then refuses when the sheet is written.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: str) -> str:
    """`value` with illegal control characters escaped and, when it could be read as a
    formula, a leading `'` so that it cannot be evaluated."""
    if _ILLEGAL.search(value) is not None:
        value = _ILLEGAL.sub(_escape, value)
    if value and value[0] in FORMULA_TRIGGERS:
        return QUOTE + value
    return value

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

from reporter.render.codepoints import XML_ILLEGAL, escape

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"


def safe_text(value: str) -> str:
    """`value` with illegal control characters escaped and, when it could be read as a
    formula, a leading `'` so that it cannot be evaluated."""
    if XML_ILLEGAL.search(value) is not None:
        value = XML_ILLEGAL.sub(escape, value)
    if value and value[0] in FORMULA_TRIGGERS:
        return QUOTE + value
    return value

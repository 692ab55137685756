"""Code points a format cannot hold, shown as visible escapes instead of failing or vanishing.

CloudTrail text is attacker-chosen: a user agent may carry NUL, other controls or noncharacters.
Dropping them would hide what the evidence said, and writing them raw breaks the file (openpyxl
refuses them, XML forbids them, HTML calls each a parse error a browser must guess past). Each
becomes `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN`, the spelling the workbook's README sheet explains.
"""

from __future__ import annotations

import re

# What XML 1.0 forbids even as a character reference: the C0 controls but tab, LF and CR
# (openpyxl's ILLEGAL_CHARACTERS_RE), U+FFFE and U+FFFF (openpyxl lets them through, lxml refuses
# them), and the surrogates a Python str can hold alone.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# The HTML standard's parse errors on input: controls other than ASCII whitespace (tab, LF, FF,
# CR, space), C1 controls, noncharacters, and surrogates (a Python str can hold a lone one).
_NONCHARACTERS = "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0x10000, 0x110000, 0x10000))
HTML_ILLEGAL = re.compile(f"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff{_NONCHARACTERS}]")


def escape(match: re.Match[str]) -> str:
    point = ord(match.group())
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def visible_in_html(value: str) -> str:
    """`value` with every code point HTML cannot carry as an escape; `value` itself if none."""
    if HTML_ILLEGAL.search(value) is None:
        return value
    return HTML_ILLEGAL.sub(escape, value)

"""What doctor checks on the machine itself: Python, the extras, WeasyPrint's system libraries
and the fonts the PDF embeds. Nothing here touches the network."""

from __future__ import annotations

import ctypes.util
import importlib.util
import re
import sys

from reporter.cli.doctor import Finding, Status, failure, fix, ok
from reporter.core.resources import shipped_dir

# What each extra adds, and the modules that show it is installed (pyproject.toml's extras).
EXTRAS = {
    "trail": (("isal", "simdjson", "stringzilla"), "trail-log scans (--root-events s3, --trail-dir) 3-4x faster"),
    "sign": (("pyhanko", "requests"), "PAdES signatures on the PDF (--sign-pdf, --tsa-url)"),
}
SYSTEM_LIBRARIES = (
    "Debian/Ubuntu: sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1; "
    "RHEL/Fedora: sudo dnf install -y pango harfbuzz fontconfig; macOS: brew install pango"
)
_FONT_URL = re.compile(r"""url\(["']?(fonts/[^"')]+)["']?\)""")
_TRUETYPE = (b"\x00\x01\x00\x00", b"true", b"OTTO")


def python_version() -> Finding:
    # pip refuses to install reporter on a Python older than 3.11, so this line only says which.
    return ok("python", f"{'.'.join(map(str, sys.version_info[:3]))} ({sys.executable})")


def extras() -> list[Finding]:
    found = []
    for extra, (modules, adds) in EXTRAS.items():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if not missing:
            found.append(ok(f"extra [{extra}]", f"installed: {adds}"))
        else:
            hint = f"not installed (optional; adds {adds}): pip install 'compliance-reporter[{extra}]'"
            found.append(Finding(f"extra [{extra}]", Status.NOTE, hint))
    return found


def weasyprint() -> list[Finding]:
    """WeasyPrint loads pango and harfbuzz with ctypes/cffi when imported, and raises OSError
    naming the library it could not open: that is the message an operator must act on."""
    try:
        import weasyprint as wp  # noqa: PLC0415 - the import is the check

        found = [ok("weasyprint", f"{wp.__version__}, pango and harfbuzz loaded")]
    except OSError as exc:
        found = [fix("weasyprint", f"a system library is missing ({failure(exc)}): {SYSTEM_LIBRARIES}")]
    except ImportError as exc:
        found = [fix("weasyprint", f"not importable ({failure(exc)}): pip install 'compliance-reporter'")]
    # Pango finds fonts through fontconfig; without it WeasyPrint imports, then renders no text.
    if ctypes.util.find_library("fontconfig"):
        found.append(ok("fontconfig", "found"))
    else:
        found.append(fix("fontconfig", f"libfontconfig not found: {SYSTEM_LIBRARIES}"))
    return found


def fonts() -> Finding:
    """The fonts pack.css embeds (read from the stylesheet, so a new face is checked too)."""
    try:
        templates = shipped_dir("templates")
        wanted = sorted(set(_FONT_URL.findall((templates / "pack.css").read_text(encoding="utf-8"))))
    except OSError as exc:
        return fix("fonts", f"the shipped templates are unreadable ({failure(exc)}): reinstall compliance-reporter")
    bad = []
    for name in wanted:
        path = templates / name
        try:
            with path.open("rb") as f:
                magic = f.read(4)
        except OSError:
            bad.append(f"{name} missing")
            continue
        if magic not in _TRUETYPE:
            bad.append(f"{name} is not a font file")
    if bad:
        return fix("fonts", f"{', '.join(bad)} in {templates}: reinstall compliance-reporter")
    return ok("fonts", f"{len(wanted)} shipped fonts in {templates / 'fonts'}")


def local_findings() -> list[Finding]:
    return [python_version(), *extras(), *weasyprint(), fonts()]

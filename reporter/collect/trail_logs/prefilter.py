"""A byte pre-filter that says whether a CloudTrail log text can hold a Root record.

The final decision is always the parsed `userIdentity.type == "Root"`; this filter only lets
the scanner skip parsing texts that cannot contain such a record. It must never say "no" to
a text that holds one. Why it cannot (for a valid JSON text, RFC 8259, UTF-8):

1. A record with `userIdentity.type == "Root"` contains a JSON object member whose key
   decodes to `type` and whose value is a string that decodes to `Root`. Between the key,
   the `:` and the value only JSON whitespace (space, tab, CR, LF) can stand.
2. Inside a JSON string each character is written either as itself or as an escape. For
   `R`, `o` and `t` the only escapes are `\\u0052`, `\\u006f`/`\\u006F` and `\\u0074` (the
   two-character escapes `\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` stand for other
   characters; `\\U` is not JSON; ASCII bytes never occur inside UTF-8 multi-byte sequences).
3. So either (a) at least one of the four characters is escaped, and the text contains one of
   the byte strings `\\u0052`, `\\u006f`, `\\u006F`, `\\u0074` -- `_has_root_escape_search`
   and `_has_root_escape_numpy` answer yes for any text containing `\\u00` followed by one of
   those (the first visits every occurrence of `\\u00`, the second every backslash); or (b)
   all four are literal and the text contains the six bytes `"Root"`, whose opening quote is
   preceded (after optional whitespace) by `:`, itself preceded (after optional whitespace)
   by the closing quote of the key string. `_literal_type_root` visits every occurrence of
   `"Root"` and answers yes unless the bytes prove that this occurrence is not such a value:
   the quote is not preceded by `:`, or the key is a plain (escape-free) string other than
   `type`. A key containing a backslash may be an escaped `type` and counts as yes.
   A quote preceded by a backslash is not proof of anything on its own; the key test reads the
   key's bytes back to its opening quote, and any backslash in them gives yes.

Key order, whitespace between tokens, pretty-printing and escapes in the key therefore never
hide a Root record; decoys such as a role or tag named `Root`, `ListRoots` or a bucket called
`Root-logs` are rejected by (b) without parsing. `tests/test_trail_logs_prefilter.py` checks
the claim with hypothesis on arbitrary re-encodings of records, for every search backend.

Speed: the filter reads every byte twice (one search for `"Root"`, one for `\\u00`), so its
cost is the search's. With stringzilla (SIMD, ~15-20 GB/s here) both passes together cost
about 0.13 s of CPU per GB of text, against about 0.75 s to decompress it; without it the
filter falls back to glibc `memmem` (~5 GB/s) and one numpy pass for the escapes (~3 GB/s),
then to `bytes.find`. The backend changes only the speed, never the answer.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Iterator

import numpy as np

try:
    import stringzilla as _sz
except ImportError:  # optional: the fallbacks below give the same answers, 3-4x slower
    _sz = None

_WS = b" \t\r\n"
_QUOTE = ord('"')
_COLON = ord(":")
_BACKSLASH = ord("\\")
_U = ord("u")
_ZERO = ord("0")
_ROOT_ESCAPES = frozenset((b"52", b"6f", b"6F", b"74"))
_LITERAL = b'"Root"'
_UNICODE_ESCAPE = b"\\u00"

Find = Callable[[bytes, bytes, int], int]


def _load_memmem() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    # glibc's memmem skips on byte pairs and runs 1.5-2x faster than CPython's bytes.find on
    # CloudTrail text (measured: ~5.4 GB/s vs ~2-3 GB/s): the fallback when stringzilla is absent.
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        func = libc.memmem if libc is not None else None
    except (OSError, AttributeError):
        return None
    if func is None:
        return None
    func.restype = ctypes.c_void_p
    func.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return func


_MEMMEM = _load_memmem()


def _find_py(data: bytes, needle: bytes, start: int) -> int:
    return data.find(needle, start)


def _find_memmem(data: bytes, needle: bytes, start: int) -> int:
    assert _MEMMEM is not None
    if start < 0 or start > len(data) - len(needle):
        return -1
    # c_char_p on a bytes object points at its buffer (no copy); `data` outlives the call.
    base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0
    hit = _MEMMEM(base + start, len(data) - start, needle, len(needle))
    return hit - base if hit else -1


def _find_sz(data: bytes, needle: bytes, start: int) -> int:
    # stringzilla reads the bytes object's buffer in place (no copy); AVX2/AVX-512 when present.
    return _sz.find(data, needle, start)


BACKENDS: dict[str, Find] = {"python": _find_py}
if _MEMMEM is not None:
    BACKENDS["memmem"] = _find_memmem
if _sz is not None:
    BACKENDS["stringzilla"] = _find_sz
BACKEND = "stringzilla" if _sz is not None else "memmem" if _MEMMEM is not None else "python"


def find_all(data: bytes, needle: bytes, find: Find | None = None) -> Iterator[int]:
    """Every offset of `needle` in `data`, ascending (overlapping hits included)."""
    find = find or BACKENDS[BACKEND]
    pos = find(data, needle, 0)
    while pos >= 0:
        yield pos
        pos = find(data, needle, pos + 1)


def _skip_ws_back(data: bytes, pos: int) -> int:
    """Index of the last non-whitespace byte at or before `pos` (-1 if none)."""
    while pos >= 0 and data[pos] in _WS:
        pos -= 1
    return pos


def _literal_could_be_type_root(data: bytes, i: int) -> bool:
    """`data[i:i+4] == b"Root"`: False only if the bytes prove it is not a `"type": "Root"` value."""
    if i < 1 or data[i - 1] != _QUOTE or i + 4 >= len(data) or data[i + 4] != _QUOTE:
        return False  # not the whole of a string token: some other string holds "Root" inside
    colon = _skip_ws_back(data, i - 2)
    if colon < 0 or data[colon] != _COLON:
        return False  # not a member value (an array element, or an escaped quote inside a string)
    close = _skip_ws_back(data, colon - 1)
    if close < 0 or data[close] != _QUOTE:
        return False  # invalid JSON: a member name is always a string
    opening = data.rfind(b'"', 0, close)
    if opening < 0:
        return True  # cannot tell: let the parser decide
    key = data[opening + 1 : close]
    if opening > 0 and data[opening - 1] == _BACKSLASH or b"\\" in key:
        return True  # an escaped key (or quote): it may decode to "type"
    return key == b"type"


def _literal_type_root(data: bytes, find: Find) -> bool:
    return any(_literal_could_be_type_root(data, i + 1) for i in find_all(data, _LITERAL, find))


def _has_root_escape_search(data: bytes, find: Find) -> bool:
    # Visit every `\u00`; real logs hold tens of thousands a GB (`\u003d`, `\u0026`, ...), so
    # with a SIMD search the Python work per hit stays small next to the search itself. The
    # next `\u00` cannot start inside this one (its bytes 1-3 are `u00`), hence the step of 4.
    # A hit in the last 5 bytes gives a short slice, which is not a complete escape.
    pos = find(data, _UNICODE_ESCAPE, 0)
    while pos >= 0:
        if data[pos + 4 : pos + 6] in _ROOT_ESCAPES:
            return True
        pos = find(data, _UNICODE_ESCAPE, pos + 4)
    return False


def _has_root_escape_numpy(data: bytes) -> bool:
    # Without a SIMD search, one vectorised numpy pass over the backslashes is ~2x faster than
    # repeated memmem calls on text that has many other escapes. A backslash in the last 5
    # bytes cannot start a complete 6-byte escape.
    text = np.frombuffer(data, dtype=np.uint8)
    slashes = np.flatnonzero(text[:-5] == _BACKSLASH)
    if slashes.size == 0:
        return False
    unicode_escapes = slashes[(text[slashes + 1] == _U) & (text[slashes + 2] == _ZERO) & (text[slashes + 3] == _ZERO)]
    return any(data[i + 4 : i + 6] in _ROOT_ESCAPES for i in unicode_escapes.tolist())


def may_hold_root(data: bytes, *, backend: str | None = None) -> bool:
    """False only when `data` (a JSON text) provably holds no record with userIdentity.type Root.

    `backend` ("stringzilla", "memmem", "python"; default: the fastest present) is for tests
    and the benchmark; every backend gives the same answer. The rarer anchor goes first:
    `"Root"` is rarer than `\\u00` in CloudTrail text, and a Root record ends the search early.
    """
    name = backend or BACKEND
    find = BACKENDS[name]
    if _literal_type_root(data, find):
        return True
    if name == "stringzilla":
        return _has_root_escape_search(data, find)
    return _has_root_escape_numpy(data)

"""The byte pre-filter never misses a Root record, and the scanner survives damaged files."""

from __future__ import annotations

import gzip
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.collect.trail_logs import prefilter
from reporter.collect.trail_logs.prefilter import may_hold_root
from reporter.collect.trail_logs.scan import ObjectScan, output_size_hint, scan_blob, scan_text

SAMPLES = Path("/work/shared/samples/cloudtrail")
ROOT = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root"},
    "eventTime": "2026-10-02T03:04:05Z",
    "eventName": "ConsoleLogin",
    "eventID": "e-root",
}
ROLE = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/R/s"},
    "eventTime": "2026-10-02T03:04:05Z",
    "eventName": "GetObject",
    "eventID": "e-role",
}


def doc(*records: dict[str, Any]) -> bytes:
    return orjson.dumps({"Records": list(records)})


def roots_of(text: bytes) -> list[str]:
    result = scan_text(text, ObjectScan(key="k.json", size=len(text)))
    assert result.error is None, result.error
    return [r["eventID"] for r in result.roots]


# --- the edge cases the issue names -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        b'{"Records":[{"userIdentity":{"type":"Root"},"eventID":"x","eventTime":"t"}]}',
        b'{"Records":[{"userIdentity":{"type":"\\u0052oot"},"eventID":"x"}]}',  # escaped R
        b'{"Records":[{"userIdentity":{"type":"R\\u006F\\u006ft"},"eventID":"x"}]}',  # both hex cases
        b'{"Records":[{"userIdentity":{"type":"Roo\\u0074"},"eventID":"x"}]}',
        b'{"Records":[{"userIdentity":{"\\u0074ype":"Root"},"eventID":"x"}]}',  # escaped key
        b'{"Records":[{"userIdentity":{"t\\u0079pe":"Root"},"eventID":"x"}]}',
        b'{"Records":[{"eventID":"x","userIdentity":{"arn":"a","type"\n\t :\r\n  "Root"}}]}',  # split over whitespace
        b'{\n  "Records": [\n    {\n      "userIdentity": {\n        "type": "Root"\n      },\n      "eventID": "x"\n    }\n  ]\n}',  # noqa: E501 - one record, pretty-printed
        b'{"Records":[{"userIdentity":{"accountId":"1","type":"Root","arn":"x\\"Root\\""},"eventID":"x"}]}',
    ],
)
def test_root_records_in_any_spelling_are_found(text: bytes) -> None:
    assert may_hold_root(text)
    assert roots_of(text) == ["x"]


@pytest.mark.parametrize(
    "decoy",
    [
        # a resource tag named Root
        {"userIdentity": {"type": "IAMUser"}, "requestParameters": {"tagSet": [{"key": "Root", "value": "Root"}]}},
        # a role named Root
        {
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::1:assumed-role/Root/s",
                "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Root"}},
            }
        },
        # "Root" in requestParameters, as a value and inside strings
        {
            "userIdentity": {"type": "IAMUser"},
            "eventName": "ListRoots",
            "requestParameters": {"name": "Root", "bucketName": "Root-logs", "policy": '{"type":"Root"}'},
        },
        # a type that merely contains Root
        {"userIdentity": {"type": "RootLike"}},
    ],
)
def test_decoys_are_cleared_without_parsing_or_rejected_by_the_parser(decoy: dict[str, Any]) -> None:
    text = doc(ROLE, {**decoy, "eventID": "d"})
    assert roots_of(text) == []
    if "policy" not in decoy.get("requestParameters", {}):
        assert not may_hold_root(text)  # the byte test alone rules these out


def test_decoy_type_root_outside_user_identity_is_rejected_by_the_parser() -> None:
    text = doc({"userIdentity": {"type": "IAMUser"}, "resources": [{"type": "Root"}], "eventID": "d"})
    assert may_hold_root(text)  # the bytes cannot tell: the parser decides
    assert roots_of(text) == []


@pytest.mark.parametrize("backend", sorted(prefilter.BACKENDS))
def test_every_search_backend_finds_the_same_offsets(backend: str) -> None:
    find = prefilter.BACKENDS[backend]
    data = b'xx"Root"yy"Root"\\u0052'
    assert list(prefilter.find_all(data, b'"Root"', find)) == [2, 10]
    assert list(prefilter.find_all(data, b"\\u00", find)) == [16]
    assert list(prefilter.find_all(b"", b"ab", find)) == []
    assert list(prefilter.find_all(b"aaaa", b"aa", find)) == [0, 1, 2]  # overlapping hits
    assert find(data, b"Root", len(data) + 5) == -1
    assert find(data, b"yy", 9) == -1 and find(data, b"yy", 8) == 8


@pytest.mark.parametrize("backend", sorted(prefilter.BACKENDS))
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"a":"\\u0052"}', True),
        (b'{"a":"\\u006F"}', True),
        (b'{"a":"\\u003d\\u0026\\u0074"}', True),  # the Root escape after other escapes
        (b'{"a":"\\u003d\\u0026\\u0041"}', False),
        (b"\\u0052", True),  # at the very start
        (b"xx\\u005", False),  # cut off at the end: not an escape
        (b"xx\\u00", False),
        (b"xx\\u0\\u0074", True),  # a broken escape, then a real one
        (b"", False),
    ],
)
def test_escape_search_agrees_across_backends(backend: str, text: bytes, expected: bool) -> None:
    assert prefilter._has_root_escape_search(text, prefilter.BACKENDS[backend]) is expected
    assert prefilter._has_root_escape_numpy(text) is expected
    assert may_hold_root(text, backend=backend) is expected


# --- soundness, by property: any valid re-encoding of a Root record is found ----------------

_WS = st.text(alphabet=" \t\r\n", max_size=3)


def _encode_string(data: st.DataObject, value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in '"\\' or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        elif data.draw(st.booleans()):
            hexed = f"{ord(ch):04x}"
            out.append("\\u" + (hexed.upper() if data.draw(st.booleans()) else hexed))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _encode(data: st.DataObject, value: Any) -> str:
    ws = lambda: data.draw(_WS)  # noqa: E731
    if isinstance(value, dict):
        items = list(value.items())
        order = data.draw(st.permutations(range(len(items)))) if items else []
        members = [
            ws() + _encode_string(data, items[i][0]) + ws() + ":" + ws() + _encode(data, items[i][1]) + ws()
            for i in order
        ]
        return "{" + ",".join(members) + ws() + "}"
    if isinstance(value, list):
        return "[" + ",".join(ws() + _encode(data, v) + ws() for v in value) + "]"
    if isinstance(value, str):
        return _encode_string(data, value)
    return orjson.dumps(value).decode()


_names = st.text(alphabet="RootypeAsumdl", min_size=1, max_size=6)
_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(alphabet='Rotype "\\x', max_size=8)),
    lambda inner: st.dictionaries(_names, inner, max_size=3) | st.lists(inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), extra=st.dictionaries(_names, _values, max_size=4), is_root=st.booleans())
def test_any_encoding_of_a_root_record_passes_the_filter(
    data: st.DataObject, extra: dict[str, Any], is_root: bool
) -> None:
    identity = {**{k: v for k, v in extra.items() if k != "type"}, "type": "Root" if is_root else "AssumedRole"}
    record = {**extra, "userIdentity": identity, "eventID": "p"}
    text = ("{" + data.draw(_WS) + '"Records":[' + _encode(data, ROLE) + "," + _encode(data, record) + "]}").encode()
    assert orjson.loads(text)["Records"][1]["userIdentity"]["type"] == identity["type"]
    answers = {backend: may_hold_root(text, backend=backend) for backend in prefilter.BACKENDS}
    assert len(set(answers.values())) == 1, answers  # the backend changes the speed, not the answer
    if is_root:
        assert may_hold_root(text)
    assert roots_of(text) == (["p"] if is_root else [])


# --- damaged files: reported, and what can be kept is kept ---------------------------------


def test_corrupt_gzip() -> None:
    result = scan_blob("a.json.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 40)
    assert result.error_code == "CorruptLogFile" and "decompressed" in result.error


def test_truncated_gzip_stream() -> None:
    blob = gzip.compress(doc(ROOT, ROLE) * 50)
    result = scan_blob("a.json.gz", blob[: len(blob) // 2])
    assert result.error_code in ("TruncatedLogFile", "CorruptLogFile") and result.roots == []


def test_truncated_json_keeps_the_records_before_the_damage() -> None:
    text = doc(ROOT, ROLE, ROOT | {"eventID": "late"})
    result = scan_blob("a.json.gz", gzip.compress(text[:-40]))
    assert result.error_code == "TruncatedLogFile"
    assert [r["eventID"] for r in result.roots] == ["e-root"]
    assert "1 Root record(s) before the damage kept" in result.error


def test_truncated_json_without_any_root_is_still_reported() -> None:
    result = scan_blob("a.json.gz", gzip.compress(doc(ROLE, ROLE)[:-30]))
    assert result.error_code == "TruncatedLogFile"


@pytest.mark.parametrize(
    ("blob", "code"),
    [
        (b"", "EmptyLogFile"),
        (gzip.compress(b""), "EmptyLogFile"),
        (gzip.compress(b"   \n"), "EmptyLogFile"),
        (gzip.compress(b'{"Events": []}'), "InvalidLogFile"),
        (gzip.compress(b'{"Records": {"a": 1}}'), "InvalidLogFile"),
        (b"PK\x03\x04 a zip", "CorruptLogFile"),
    ],
)
def test_empty_and_foreign_files(blob: bytes, code: str) -> None:
    assert scan_blob("a.json.gz", blob).error_code == code


def test_a_damaged_gzip_trailer_bounds_the_buffer_and_is_reported() -> None:
    blob = gzip.compress(doc(ROOT, ROLE))
    lying = blob[:-4] + (2**32 - 1).to_bytes(4, "little")  # announces 4 GiB of text
    assert output_size_hint(lying) == 16384  # 64x the compressed size, at least 16 KiB
    text = random.Random(1).randbytes(10**5).hex().encode()  # compresses about 2:1
    big = gzip.compress(text)
    assert output_size_hint(big) == len(text) + 1  # the trailer's size, +1 to see the end
    assert output_size_hint(big[:-4] + b"\xff" * 4) == 64 * len(big)
    assert scan_blob("a.json.gz", lying).error_code == "CorruptLogFile"  # the size check fails


def test_empty_records_list_is_fine() -> None:
    result = scan_blob("a.json.gz", gzip.compress(b'{"Records":[]}'))
    assert result.error is None and result.roots == []


def test_plain_json_files_are_read_too() -> None:
    assert [r["eventID"] for r in scan_blob("a.json", doc(ROLE, ROOT)).roots] == ["e-root"]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
def test_real_samples() -> None:
    trailscraper = next((SAMPLES / "trailscraper").glob("*.json.gz"))
    result = scan_blob(trailscraper.name, trailscraper.read_bytes())
    assert result.error is None and result.roots == [] and not result.parsed  # real negative control
    sekoia = (SAMPLES / "sekoia_intake_formats" / "DERIVED_records_envelope.json").read_bytes()
    expected = [r for r in orjson.loads(sekoia)["Records"] if r.get("userIdentity", {}).get("type") == "Root"]
    assert len(expected) == 8
    assert scan_blob("envelope.json", sekoia).roots == expected

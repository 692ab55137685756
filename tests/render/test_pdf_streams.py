"""The PDF's streams are deflated once, by the finisher, into the bytes pydyf would write."""

from __future__ import annotations

import io
import zlib

import pydyf

from reporter.render.pdf.document import EMBEDDED_FILE_LEVEL, _compress_streams_once

CONTENT: list[object] = [b"BT", 1.5, 2.0, "/F1 12 Tf", pydyf.String("text"), b"ET"]
EMBEDDED = b'{"findings": []}\n' * 1000


def _written(pdf: pydyf.PDF) -> bytes:
    out = io.BytesIO()
    pdf.write(out, b"1.7", b"0123456789abcdef", compress=True)
    return out.getvalue()


def _document(embedded: bytes | None = None) -> pydyf.PDF:
    pdf = pydyf.PDF()
    pdf.add_object(pydyf.Stream(list(CONTENT), {"Type": "/XObject"}, compress=True))
    pdf.add_object(pydyf.Stream([b"left as it is"], {}, compress=False))
    if embedded is not None:
        pdf.add_object(pydyf.Stream([embedded], {"Type": "/EmbeddedFile"}, compress=True))
    return pdf


def _streams(pdf: pydyf.PDF) -> list[pydyf.Stream]:
    return [o for o in pdf.objects if isinstance(o, pydyf.Stream)]


def test_the_file_is_the_one_pydyf_writes_each_stream_deflated_once(monkeypatch) -> None:
    expected = _written(_document())  # pydyf deflating as it writes
    pdf = _document()
    _compress_streams_once(None, pdf)
    drawn, plain = _streams(pdf)
    assert not drawn.compress and drawn.extra["Filter"] == "/FlateDecode"
    assert zlib.decompress(drawn.stream[0]) == b"BT\n1.5\n2\n/F1 12 Tf\n(text)\nET"
    assert plain.stream == [b"left as it is"] and "Filter" not in plain.extra
    calls: list[object] = []
    real = zlib.compressobj

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", counted)
    assert _written(pdf) == expected
    # Only what pydyf makes while writing is deflated then (its object stream, read twice, and
    # its cross-reference stream), not the page's stream (twice more without the finisher).
    assert len(calls) == 3


def test_an_embedded_file_is_deflated_at_its_own_level() -> None:
    pdf = _document(EMBEDDED)
    _compress_streams_once(None, pdf)
    _, _, attached = _streams(pdf)
    assert attached.stream == [zlib.compress(EMBEDDED, EMBEDDED_FILE_LEVEL)]
    assert attached.extra["Filter"] == "/FlateDecode" and not attached.compress
    assert f"/Length {len(attached.stream[0])}".encode() in attached.data

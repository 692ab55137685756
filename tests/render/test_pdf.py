"""The PDF audit pack: read back with pypdf and checked against the model.

Rendering is slow, so the demo pack is rendered once per module; the small hostile snapshot is
rendered twice (the second render proves byte-for-byte reproducibility).
"""

from __future__ import annotations

import hashlib
import io
import re
import socket

import pypdf
import pytest
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot

from reporter.checks.registry import CHECKS
from reporter.core.resources import demo_snapshot_dir, shipped_dir
from reporter.core.status import Status
from reporter.pack.model import build_pack
from reporter.render.fetcher import RefusedURL, TemplatesOnlyFetcher
from reporter.render.json_report import render_json
from reporter.render.pdf import build_view, render_html, render_pdf, write_pdf
from reporter.render.pdf import findings_view as pdf_view
from reporter.snapshot.reader import Snapshot

HOSTILE_AGENT = '<img src="http://169.254.169.254/">'
SCRIPT_AGENT = "<script>alert(1)</script>"


def _pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text() or "" for page in reader.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def demo():
    model = build_pack(Snapshot.open(demo_snapshot_dir()))
    data = render_pdf(model)
    return model, data, _pages(data)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A one-account snapshot whose root events carry HTML in their user agents; rendered twice
    with every socket connection refused and the fetcher's calls recorded."""
    root = tmp_path_factory.mktemp("hostile")
    events = jsonl(
        root_record("2026-10-03T10:00:00Z", agent=HOSTILE_AGENT, event_id="ev-1"),
        root_record("2026-10-05T11:00:00Z", "ListUsers", key="AKIAEXAMPLE", agent=SCRIPT_AGENT, event_id="ev-2"),
        *[
            root_record(f"2026-10-{day:02d}T12:00:00Z", "GetAccountSummary", key="ASIAEXAMPLE", event_id=f"ev-x{day}")
            for day in range(6, 16)
        ],
    )
    users = [cr_row(f"user{i:02d}", password_enabled="false", mfa="false") for i in range(8)]
    snapshot = write_snapshot(
        root / "snap", AccountSpec(credential_report=report(cr_row(), *users), root_events=events)
    )
    model = build_pack(snapshot)
    fetchers: list[TemplatesOnlyFetcher] = []

    def no_network(*args, **kwargs):
        raise AssertionError(f"the PDF renderer opened a network connection: {args}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket.socket, "connect_ex", no_network)
        mp.setattr(socket, "create_connection", no_network)
        outputs = []
        for _ in range(2):
            fetcher = TemplatesOnlyFetcher(shipped_dir("templates"))
            fetchers.append(fetcher)
            outputs.append(render_pdf(model, fetcher=fetcher))
        capped = render_pdf(model, table_cap=3)
    return model, outputs, fetchers, capped


# ------------------------------------------------------------------------------------ structure


def test_contents_page_numbers_match_section_starts(demo):
    model, data, pages = demo
    entries = []
    for page in pages[1:4]:
        for line in page.splitlines():
            m = re.match(r"^\s*(\d+(?:\.\d+)?) (.+?)[\s.]*?(\d+)\s*$", line)
            if m and "." * 3 in line.replace(" ", ""):
                entries.append((m.group(1), m.group(2).rstrip(" ."), int(m.group(3))))
    numbers = [e[0] for e in entries]
    # Every chapter and section the view plans is listed, numbered as planned, and nothing else.
    planned = [
        label.split(" ", 1)[0]
        for c in build_view(model)["chapters"]["contents"]
        for label in [c["label"], *(s["label"] for s in c["sections"])]
    ]
    assert numbers == planned
    assert numbers[:3] == ["1", "2", "3"] and "3.1" in numbers
    # The demo is a first month: no changes chapter; its risk acceptances close the findings chapter.
    findings = next(n for n, t, _ in entries if t == "Findings")
    assert [t for n, t, _ in entries if n.startswith(f"{findings}.")][-1] == "Risk acceptances (exceptions)"
    assert not any("Changes since last month" in t for _, t, _ in entries)
    first_section = min(page_no for _, _, page_no in entries)  # the contents (one page or more) end before it
    for number, title, page_no in entries:
        heading = _flat(f"{number} {title}")[:40]
        assert heading in _flat(pages[page_no - 1]), f"{heading!r} is not on page {page_no}"
        for earlier in pages[first_section - 1 : page_no - 1]:
            # The section starts on that page: its heading is on no earlier page after the contents.
            assert heading not in _flat(earlier), f"{heading!r} appears before page {page_no}"


def test_auditor_guide_chapter_explains_every_check(demo):
    model, _, pages = demo
    # The heading's last occurrence: the contents names it too.
    start = max(i for i, p in enumerate(pages) if re.search(r"\d\.1 What the pack proves", p))
    assert start > len(pages) - 5  # the annex before the sign-off
    text = _flat(" ".join(pages[start:]))
    assert "reporter verify PACK_DIR --public-key" in text and re.search(r"\d\.4 Recomputing a verdict by hand", text)
    squeezed = re.sub(r"\s+", "", text)  # ids in table cells may wrap mid-word
    for check_id in CHECKS:
        assert check_id in squeezed, check_id


def test_bookmarks_for_every_section(demo):
    _, data, _ = demo
    reader = pypdf.PdfReader(io.BytesIO(data))

    def titles(outline):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    found = list(titles(reader.outline))
    chapters = build_view(demo[0])["chapters"]["contents"]
    planned = [label for c in chapters for label in [c["label"], *(s["label"] for s in c["sections"])]]
    # Every planned chapter and section has its bookmark, with the number the contents gives it.
    assert ["Cover", "Contents", *planned] == [t for t in found if t in ("Cover", "Contents") or t in planned]
    for title in ("1 Executive summary", "2 Scope and method", "3 Control matrix", "4 Findings"):
        assert title in found
    assert found[-1].endswith("Sign-off") and not any("Changes since last month" in t for t in found)
    assert sum(1 for t in found if t.startswith("3.")) == len(demo[0].frameworks)


def test_every_page_has_header_footer_and_digest(demo):
    model, _, pages = demo
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        flat = _flat(text)
        assert f"Page {number} of {total}" in flat
        assert model.snapshot.digest in flat.replace(" ", "")
        assert model.period_label in flat


def test_cover_digest_period_and_confidential(demo):
    model, _, pages = demo
    cover = _flat(pages[0])
    digest = re.search(r"Snapshot manifest SHA-256 ([0-9a-f]{64})", cover)
    assert digest and digest.group(1) == model.snapshot.digest
    assert "Confidential".upper() in cover.upper()
    assert "2026-11-01T06:00:00Z" in cover  # as_of and generated-at
    assert "o-a1b2c3d4e5" in cover


def test_every_fail_and_not_assessed_finding_appears(demo):
    model, _, pages = demo
    text = _flat(" ".join(pages))
    shown = [f for f in model.findings if f.status in (Status.FAIL, Status.NOT_ASSESSED)]
    assert any(f.status == Status.FAIL for f in shown)
    for finding in shown:
        assert finding.finding_id in text


def test_root_headline_in_summary(demo):
    model, _, pages = demo
    events = model.root_events()
    summary = next(p for p in pages if "1 Executive summary" in p and "Contents" not in p and "Top risks" in p)
    sign_ins = int((events["interaction"] == "console_sign_in").sum())
    assert sign_ins and re.search(rf"\b{sign_ins} ?root console sign-in", _flat(summary))
    assert "without MFA" in summary


def test_attachments_and_metadata(demo):
    model, data, _ = demo
    reader = pypdf.PdfReader(io.BytesIO(data))
    attachments = reader.attachments
    assert attachments["manifest.json"][0] == model.snapshot.manifest_bytes
    assert attachments["findings.json"][0] == render_json(model)
    meta = reader.metadata
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20261101060000Z"
    assert "2026-10" in meta["/Title"]
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp and b"pdfaid:conformance" in xmp  # PDF/A identification in XMP
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_letter_page_size(tmp_path):
    snapshot = write_snapshot(tmp_path / "snap")
    path = write_pdf(build_pack(snapshot), tmp_path / "out", page_size="Letter")
    assert path.name == "audit-pack-2026-10.pdf"
    first = pypdf.PdfReader(path).pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (612, 792)
    with pytest.raises(ValueError):
        build_view(build_pack(snapshot), page_size="A3")


def test_findings_json_is_built_once_for_the_file_and_the_attachment(tmp_path, monkeypatch):
    from reporter.render import json_report
    from reporter.render.outputs import write_outputs

    built = []
    real = json_report.findings_document
    monkeypatch.setattr(json_report, "findings_document", lambda model: built.append(model) or real(model))
    model = build_pack(write_snapshot(tmp_path / "snap"))
    written = {p.suffix: p for p in write_outputs(model, tmp_path / "out", ["json", "pdf"])}
    assert len(built) == 1
    attachment = pypdf.PdfReader(written[".pdf"]).attachments["findings.json"][0]
    assert attachment == written[".json"].read_bytes()


# ------------------------------------------------------------------------------------ safety


def test_hostile_user_agent_is_text_and_nothing_is_fetched(hostile):
    _, outputs, fetchers, _ = hostile
    text = "".join(_pages(outputs[0]))
    assert HOSTILE_AGENT in text
    assert SCRIPT_AGENT in text
    for fetcher in fetchers:
        assert fetcher.refused == []
        assert all(u.startswith(("file:", "data:")) for u in fetcher.served)
        assert not any("169.254" in u for u in fetcher.served)


def test_html_is_escaped(hostile):
    model = hostile[0]
    html, _ = render_html(build_view(model))
    assert HOSTILE_AGENT not in html and "&lt;img src=" in html
    assert SCRIPT_AGENT not in html


def test_fetcher_refuses_everything_outside_templates(tmp_path):
    templates = shipped_dir("templates")
    fetcher = TemplatesOnlyFetcher(templates, {"data:image/svg+xml;base64,AAAA": (b"<svg/>", "image/svg+xml")})
    assert fetcher.fetch((templates / "pack.css").resolve().as_uri()).read().startswith(b"/*")
    assert fetcher.fetch("data:image/svg+xml;base64,AAAA").read() == b"<svg/>"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/x.css",
        outside.as_uri(),
        (templates / ".." / "pyproject.toml").as_uri(),
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/x",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7


def test_refused_url_stops_rendering():
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    templates = shipped_dir("templates")
    fetcher = TemplatesOnlyFetcher(templates)
    with pytest.raises(FatalURLFetchingError):
        HTML(
            string='<img src="http://169.254.169.254/">', base_url=templates.as_uri() + "/", url_fetcher=fetcher
        ).write_pdf()
    assert fetcher.refused == ["http://169.254.169.254/"]


# ------------------------------------------------------------------------------------ integrity


def test_same_snapshot_same_bytes(hostile):
    _, outputs, _, _ = hostile
    assert outputs[0] == outputs[1]


def _embedded_fonts(data: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def test_only_the_shipped_fonts_are_embedded(hostile, demo):
    """The pack's fonts come from templates/fonts, never from the machine's font folders."""
    _, outputs, fetchers, _ = hostile
    for data in (outputs[0], demo[1]):
        assert _embedded_fonts(data) <= {
            "Pack-Sans",
            "Pack-Sans-Bold",
            "Pack-Sans-Italic",
            "Pack-Mono",
            "Pack-Mono-Bold",
        }
    assert any(u.endswith("/fonts/DejaVuSans.ttf") for u in fetchers[0].served)


def test_bytes_do_not_depend_on_the_font_subsetting_library(hostile, monkeypatch):
    """WeasyPrint subsets with HarfBuzz-subset when the system has it, else with fontTools, and
    the two write different bytes; the shipped fonts are embedded whole, so neither runs."""
    import weasyprint.pdf.fonts as weasy_fonts

    model, outputs, _, _ = hostile
    monkeypatch.setattr(weasy_fonts, "harfbuzz_subset", None)  # as on a machine without the library
    assert render_pdf(model) == outputs[0]


def test_table_cap_points_to_the_workbook(hostile):
    model, outputs, _, capped = hostile
    text = _flat(" ".join(_pages(capped))).replace("– ", "–")
    events = list(model.root_events()["evidence_id"])  # 12 events, oldest first; newest 3 shown
    assert len(events) == 12
    assert (
        f"This table shows 3 of 12 root events. The other 9 ({events[0]} to {events[8]}) are in "
        "evidence-2026-10.xlsx, sheet “Root events”, rows 2–10."
    ) in text
    # 8 IAM users after the root row (sheet row 2): first 3 shown, the other 5 in rows 6–10.
    creds = list(model.credential_rows()["evidence_id"])
    assert (
        f"This table shows 3 of 8 IAM users. The other 5 ({creds[4]} to {creds[8]}) are in evidence-2026-10.xlsx, "
        "sheet “Credential report”, rows 6–10."
    ) in text
    assert "sheet “Manifest”" in text
    for row in events[9:]:
        assert row in text
    assert events[8] not in text.replace(f"{events[8]})", "")
    # Uncapped: no note at all.
    assert "Table continues in the workbook" not in _flat(" ".join(_pages(outputs[0])))


def test_findings_grouped_per_check_and_capped_groups_point_to_the_workbook(tmp_path):
    """With more failed results than the cap, each (check, status) group lists a fair share and
    names where the rest are: every FAIL id is either listed or inside a stated workbook range."""
    users = [cr_row(f"user{i:02d}", password_enabled="true", mfa="false") for i in range(12)]
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(), *users)))
    model = build_pack(snapshot)
    view = build_view(model, table_cap=4)
    groups = view["findings"]["groups"]
    assert sum(len(g["rows"]) for g in groups) <= max(4, len(groups))
    mfa = next(g for g in groups if g["check_id"] == "iam_user_console_mfa" and g["status"]["code"] == "FAIL")
    # The Findings sheet lists model.all_findings in order from Excel row 2.
    row_of = {f.finding_id: i + 2 for i, f in enumerate(model.all_findings)}
    failing = [f for f in model.all_findings if f.check_id == "iam_user_console_mfa" and f.status == Status.FAIL]
    assert mfa["count"] == len(failing) == 12
    listed = [r["id"] for r in mfa["rows"]]
    rest = mfa["rest"]
    assert listed == [f.finding_id for f in failing[: len(listed)]]
    assert rest["rest"] == 12 - len(listed)
    assert (rest["first_row"], rest["last_row"]) == (
        row_of[failing[len(listed)].finding_id],
        row_of[failing[-1].finding_id],
    )
    text = _flat(" ".join(_pages(render_pdf(model, table_cap=4)))).replace("– ", "–")
    # The results index is capped too (2 rows at a table cap of 4): the note does not send the
    # reader to it for ids it does not hold.
    assert not rest["in_index"]
    assert (
        f"It lists {len(listed)} of 12 results. The other {rest['rest']} are in evidence-2026-10.xlsx, "
        f"sheet “Findings”, rows {rest['first_row']}–{rest['last_row']}"
    ) in text
    index = view["findings"]["index"]
    assert len(index["rows"]) == 2 and index["rest"] == index["total"] - 2
    assert f"the other {index['rest']} are in evidence-2026-10.xlsx" in text
    # At the default cap every result, detailed or not, is named by its id somewhere in the PDF.
    assert build_view(model)["findings"]["index"]["rest"] == 0
    full = _flat(" ".join(_pages(render_pdf(model))))
    for f in model.all_findings:
        assert f.finding_id in full
    assert "filter check_id = iam_user_console_mfa and status = FAIL" in text
    # The check's risk and remediation are said once per group, not once per user.
    check_rationale = "A console password without MFA"
    assert text.count(check_rationale) == 1


def test_allocate_shares_the_cap_fairly():
    assert pdf_view._allocate([100, 23, 23, 2854, 1911, 571], 500) == [100, 23, 23, 118, 118, 118]
    assert pdf_view._allocate([1, 1, 1], 500) == [1, 1, 1]
    assert pdf_view._allocate([10, 10, 10], 2) == [1, 1, 1]  # every group shows at least one row
    assert sum(pdf_view._allocate([7, 300, 40], 100)) == 100


def test_pdf_a3b_structure(demo):
    """What veraPDF would look at first (it is not installed here): the PDF/A-3b identification in
    the XMP metadata, an sRGB output intent with its ICC profile, and associated files
    (/AF, /AFRelationship) for both attachments."""
    model, data, _ = demo
    reader = pypdf.PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(?:>|=\")3", xmp)
    assert re.search(r"pdfaid:conformance(?:>|=\")B", xmp)
    intents = root["/OutputIntents"]
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert "/DestOutputProfile" in intent
    assert intent["/DestOutputProfile"].get_object().get_data()[36:40] == b"acsp"  # an ICC profile
    assert reader.pdf_header == "%PDF-1.7"
    associated = {spec.get_object()["/F"]: spec.get_object() for spec in root["/AF"]}
    assert set(associated) == {"manifest.json", "findings.json"}
    assert associated["manifest.json"]["/AFRelationship"] == "/Source"
    assert associated["findings.json"]["/AFRelationship"] == "/Data"
    expected = {"manifest.json": model.snapshot.manifest_bytes, "findings.json": render_json(model)}
    for name, spec in associated.items():
        stream = spec["/EF"]["/F"].get_object()
        assert stream["/Subtype"] == "/application/json"  # PDF/A-3 wants the MIME type of each file
        assert stream["/Params"]["/ModDate"] == "D:20261101060000Z"
        checksum = stream["/Params"]["/CheckSum"]
        checksum = getattr(checksum, "original_bytes", checksum)  # pypdf may decode it as text
        assert checksum == hashlib.md5(expected[name]).digest()
    assert "/Encrypt" not in reader.trailer  # PDF/A forbids encryption


def _structure(node, found):
    """(tag, alt) of every structure element under `node` of a tagged PDF, in reading order."""
    node = node.get_object()
    if "/S" in node:
        found.append((str(node["/S"]), str(node.get("/Alt", ""))))
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids]:
        if isinstance(kid, pypdf.generic.IndirectObject | pypdf.generic.DictionaryObject):
            _structure(kid, found)
    return found


def test_the_pdf_is_tagged_with_headings_tables_and_charts_described_by_their_numbers(demo):
    model, data, pages = demo
    reader = pypdf.PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]) and catalog["/Lang"] == "en"
    assert reader.metadata.title.startswith("Root usage and IAM credential audit pack")
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in xmp  # still PDF/A-3b, now with tags
    elements = _structure(catalog["/StructTreeRoot"], [])
    tags = [tag for tag, _ in elements]
    assert tags.count("/H1") >= 8 and "/H2" in tags and "/Table" in tags and "/TH" in tags
    figures = [alt for tag, alt in elements if tag == "/Figure"]
    assert len(figures) == 1  # a first month has no trend charts
    summary = figures[0]
    assert summary.startswith("Requirements per status") and re.search(r"\d+ fail", summary)
    assert all(fw.framework.id in summary or fw.framework.name in summary for fw in model.frameworks)
    # Every chapter and every framework of the control matrix has a bookmark.
    titles = []

    def walk(items):
        for item in items:
            walk(item) if isinstance(item, list) else titles.append(item.title)

    walk(reader.outline)
    assert sum(1 for t in titles if t.startswith("3.")) == len(model.frameworks)
    assert {"Cover", "Contents"} <= set(titles)


def _squeezed(text: str) -> str:
    # A PDF wraps a sentence over lines (and may break a long name anywhere): compare without spaces.
    return re.sub(r"\s+", "", text)


def test_sentences_are_the_same_in_pdf_workbook_and_json(demo, tmp_path):
    """Each finding the PDF details prints its observed sentence, and its group its expected one,
    with the same words as the workbook's Findings cells and findings.json (#17 item 2)."""
    import openpyxl
    import orjson

    from reporter.render.xlsx import write_xlsx

    model, _, pages = demo
    pdf = _squeezed(" ".join(pages))
    sheet = openpyxl.load_workbook(write_xlsx(model, tmp_path))["Findings"]
    names = [c.value for c in sheet[1]]
    cells = {
        row[names.index("finding_id")]: (row[names.index("observed")], row[names.index("expected")])
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    doc = orjson.loads(render_json(model))
    fields = {f["id"]: (f["observed_text"], f["expected_text"]) for f in doc["findings"] + doc["framework_findings"]}
    by_id = {f.finding_id: f for f in model.all_findings}
    groups = build_view(model)["findings"]["groups"]
    detailed = [row["id"] for g in groups for row in g["rows"]]
    assert detailed and {by_id[i].status for i in detailed} == {Status.FAIL, Status.NOT_ASSESSED}
    for finding_id in detailed:
        f = by_id[finding_id]
        assert cells[finding_id] == fields[finding_id] == (f.observed_text, f.expected_text)
        assert _squeezed(f.observed_text) in pdf, finding_id
        assert _squeezed(f.expected_text) in pdf, finding_id
    # the key/value dump is gone from the findings chapter: no "key = value" of an observed dict
    assert "last_used_by=" not in pdf

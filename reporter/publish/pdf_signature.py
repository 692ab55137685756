"""PAdES signatures on the audit pack's PDF (`report --sign-pdf CERT.p12`, the `[sign]` extra).

The signature is an incremental update (pyHanko): the bytes WeasyPrint rendered stay, unchanged,
as the file's first revision, and the signature covers them and the update. So the pack manifest
can record both the signed file and the rendered revision it grew from, and `verify PACK
--snapshot` still compares a fresh render byte for byte with that revision. The signature field is
invisible with the Print flag set, which PDF/A-3b allows (a visible stamp would need a font that is
not embedded); every reader lists it in its signature panel.

PAdES baseline B-B (`/ETSI.CAdES.detached`, SHA-256); with `--tsa-url` an RFC 3161 timestamp from
that authority makes it B-T. The signing time is the signer's clock (or the TSA's): a signature
says when it was made, unlike the pack, whose every date is `as_of`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIGN_EXTRA_HINT = "install the [sign] extra: pip install 'compliance-reporter[sign]'"
FIELD_NAME = "reporter-pack-signature"


class PdfSigningError(Exception):
    """The certificate cannot be used, the [sign] extra is missing, or signing failed."""


@dataclass(frozen=True)
class PdfSigner:
    """A loaded PKCS#12 signer (pyHanko's SimpleSigner) and where its timestamps come from."""

    signer: Any
    subject: str
    tsa_url: str | None = None


@dataclass(frozen=True)
class Revision:
    """The rendered bytes a signed PDF grew from: its first `size` bytes hash to `sha256`."""

    sha256: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class SignatureCheck:
    """One embedded signature as pyHanko's validator judged it."""

    field: str
    signer: str
    intact: bool  # the signed bytes hash to the digest the signature holds
    valid: bool  # the signature over that digest verifies with the certificate's key
    covers_whole_file: bool  # nothing was appended after signing
    trusted: bool | None  # the certificate chains to a given trust root (None: none given)
    timestamp: str | None  # the TSA's time, when the signature carries a timestamp token
    timestamp_ok: bool | None
    error: str | None = None  # the validator could not judge the signature at all

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        if self.error is not None:
            return [f"cannot be validated: {self.error}"]
        return [
            text
            for bad, text in (
                (not self.intact, "the signed bytes changed after signing"),
                (not self.valid, "the signature does not verify with its certificate"),
                (not self.covers_whole_file, "bytes were added after the signature"),
                (self.trusted is False, "the certificate does not chain to the given trust root"),
                (self.timestamp_ok is False, "the timestamp token does not verify"),
            )
            if bad
        ]


def _pyhanko() -> None:
    try:
        with warnings.catch_warnings():
            # pyHanko imports cryptography's DSA module, which warns on import; reporter never uses DSA.
            warnings.simplefilter("ignore")
            import pyhanko.sign.signers  # noqa: F401, PLC0415 - optional extra
    except ImportError:
        raise PdfSigningError(f"PDF signatures need pyHanko: {SIGN_EXTRA_HINT}") from None


def available() -> bool:
    try:
        _pyhanko()
    except PdfSigningError:
        return False
    return True


@contextmanager
def _quiet_validator() -> Iterator[None]:
    """pyHanko logs a traceback for every certificate it cannot chain to a root; reporter says
    "untrusted" in one line instead."""
    # Levels, not `disabled`: the modules log through child loggers, which inherit the level.
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.setLevel(level)


def load_pdf_signer(p12: Path, passphrase: bytes | None = None, tsa_url: str | None = None) -> PdfSigner:
    """Load the certificate and key before anything is collected: a wrong passphrase costs nothing."""
    _pyhanko()
    from pyhanko.sign.signers import SimpleSigner  # noqa: PLC0415

    try:
        data = Path(p12).read_bytes()
    except OSError as exc:
        raise PdfSigningError(f"{p12}: cannot read ({exc.strerror})") from None
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except ValueError:
        raise PdfSigningError(f"{p12}: not a PKCS#12 file, or the passphrase is wrong") from None
    if signer.signing_cert is None:
        raise PdfSigningError(f"{p12}: holds no certificate for its key")
    if tsa_url is not None and not tsa_url.startswith(("http://", "https://")):
        raise PdfSigningError(f"--tsa-url {tsa_url!r}: not an http(s) URL")
    return PdfSigner(signer, signer.signing_cert.subject.human_friendly, tsa_url)


def sign_pdf(path: Path, signer: PdfSigner) -> Revision:
    """Sign the PDF at `path` in place; return the rendered revision the signed file starts with."""
    _pyhanko()
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415
    from pyhanko.sign import signers  # noqa: PLC0415
    from pyhanko.sign.fields import SigSeedSubFilter  # noqa: PLC0415
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # noqa: PLC0415

    rendered = Path(path).read_bytes()
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason="reporter audit pack",
    )
    timestamper = RequestsHTTPTimeStamper(signer.tsa_url, timeout=30) if signer.tsa_url else None
    out = io.BytesIO()
    try:
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(rendered)),
            meta,
            signer=signer.signer,
            timestamper=timestamper,
            output=out,
        )
    except Exception as exc:  # pyHanko and the TSA raise many classes; each is a failed signature
        raise PdfSigningError(f"{Path(path).name}: not signed: {type(exc).__name__}: {exc}") from None
    signed = out.getvalue()
    if not signed.startswith(rendered):  # the promise verify relies on: an update, never a rewrite
        raise PdfSigningError(f"{Path(path).name}: the signed file does not start with the rendered bytes")
    from reporter.snapshot.writer import atomic_write  # noqa: PLC0415

    atomic_write(Path(path), signed)
    return Revision(hashlib.sha256(rendered).hexdigest(), len(rendered))


def load_trust_roots(paths: list[Path]) -> list[Any]:
    """PEM or DER certificates an auditor trusts to vouch for the pack's signer."""
    _pyhanko()
    from pyhanko.keys import load_cert_from_pemder  # noqa: PLC0415

    roots = []
    for path in paths:
        try:
            roots.append(load_cert_from_pemder(str(path)))
        except (OSError, ValueError) as exc:
            raise PdfSigningError(f"{path}: not a PEM or DER certificate ({exc})") from None
    return roots


def check_signatures(data: bytes, trust_roots: list[Any] | None = None) -> list[SignatureCheck]:
    """Every signature embedded in the PDF `data`, validated offline (nothing is fetched).
    Without trust roots the signature is checked, the signer is named and `trusted` is None."""
    _pyhanko()
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415
    from pyhanko.sign.validation.errors import SignatureValidationError  # noqa: PLC0415
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415

    checks = []
    roots = list(trust_roots or [])
    with _quiet_validator():
        embedded_signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    for embedded in embedded_signatures:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            with _quiet_validator():
                status = validate_pdf_signature(
                    embedded, signer_validation_context=context, ts_validation_context=context
                )
        except SignatureValidationError as exc:
            failed = SignatureCheck(embedded.field_name, "unknown", False, False, False, None, None, None, str(exc))
            checks.append(failed)
            continue
        stamp = status.timestamp_validity
        checks.append(
            SignatureCheck(
                field=embedded.field_name,
                signer=status.signing_cert.subject.human_friendly,
                intact=status.intact,
                valid=status.valid,
                covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                trusted=status.trusted if roots else None,
                timestamp=stamp.timestamp.isoformat() if stamp is not None else None,
                timestamp_ok=(stamp.intact and stamp.valid and (stamp.trusted or not roots)) if stamp else None,
            )
        )
    return checks

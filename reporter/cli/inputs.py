"""The user's inputs, read and checked before any AWS call or any file is written: each problem
is one line and exit 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from reporter.assess.attestations import Attestation, load_attestations, validate_attestations
from reporter.assess.framework_files import default_frameworks, load_frameworks
from reporter.assess.framework_model import Framework, FrameworkError
from reporter.assess.risk_acceptance import RiskAcceptanceError, RiskAcceptances, load_risk_acceptances
from reporter.cli.console import fail
from reporter.cli.options import SIGN_KEY_PASSPHRASE_ENV, SIGN_PDF_PASSPHRASE_ENV, CollectArgs
from reporter.collect.options import RootEventSource
from reporter.core.resources import demo_exceptions_file
from reporter.history.store import History, HistoryError, default_history_path
from reporter.snapshot.reader import Snapshot, SnapshotError

if TYPE_CHECKING:
    from reporter.collect.iam_policy import RootEventsKind


def open_snapshot(path: Path) -> Snapshot:
    try:
        return Snapshot.open(path)
    except SnapshotError as exc:
        raise fail(str(exc)) from None


def available_frameworks(dirs: list[Path] | None) -> dict[str, Framework]:
    """Every framework, shipped and from --frameworks-dir, by id."""
    try:
        return load_frameworks(dirs or ())
    except FrameworkError as exc:
        raise fail(str(exc)) from None


def frameworks(ids: str | None, dirs: list[Path] | None) -> list[Framework]:
    """The frameworks of --framework: the default selection when none is given; in the comma
    list `default` stands for that selection and `all` for every framework."""
    available = available_frameworks(dirs)
    if not ids:
        return default_frameworks(available)
    named = {"default": default_frameworks(available), "all": list(available.values())}
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    if not wanted:  # `--framework ,` would silently map the findings to nothing
        raise fail(f"--framework {ids!r} names no framework; known: {', '.join(available)}, default, all")
    unknown = [i for i in wanted if i not in available and i not in named]
    if unknown:
        raise fail(f"unknown framework(s) {', '.join(unknown)}; known: {', '.join(available)}, default, all")
    chosen: dict[str, Framework] = {}
    for i in wanted:
        for fw in [available[i]] if i in available else named[i]:
            chosen.setdefault(fw.id, fw)
    return list(chosen.values())


def attestations(path: Path | None, frameworks: list[Framework]) -> list[Attestation]:
    if path is None:
        return []
    try:
        attestations = load_attestations(path)
        # A typo'd requirement or check id would otherwise be silently ignored.
        validate_attestations(attestations, {fw.id: fw for fw in frameworks})
    except FrameworkError as exc:
        raise fail(str(exc)) from None
    return attestations


def risk_acceptances(path: Path | None) -> RiskAcceptances:
    if path is None:
        return RiskAcceptances()
    # The pack records the file's name; the shipped demo file's is the same on every installation,
    # so `verify` of a demo pack renders the same bytes wherever the package lives.
    shipped = demo_exceptions_file()
    display = f"reporter/{shipped.name}" if path.resolve() == shipped.resolve() else None
    try:
        return load_risk_acceptances(path, display)
    except RiskAcceptanceError as exc:
        raise fail(str(exc)) from None


def history_path(path: Path | None, no_history: bool) -> Path | None:
    """The history to use (None: --no-history). An existing file is opened once here, so an
    unusable history stops the command (exit 2) before any AWS call or any file is written."""
    if no_history and path is not None:
        raise fail("give --history or --no-history, not both")
    chosen = None if no_history else (path or default_history_path())
    if chosen is not None and chosen.exists():
        try:
            History(chosen, create=False).close()
        except HistoryError as exc:
            raise fail(str(exc)) from None
    return chosen


def open_history(path: Path | None) -> History | None:
    if path is None:
        return None
    try:
        return History(path)
    except HistoryError as exc:
        raise fail(str(exc)) from None


def check_bucket(bucket: str | None, sse: str, kms_key_id: str | None) -> None:
    """Refuse a malformed --output-bucket before any work (exit 2)."""
    if bucket is None:
        if kms_key_id is not None:
            raise fail("--sse-kms-key-id needs --output-bucket")
        return
    from reporter.publish.upload import UploadError, parse_target  # noqa: PLC0415

    try:
        parse_target(bucket, sse=sse, kms_key_id=kms_key_id)
    except UploadError as exc:
        raise fail(str(exc)) from None


def check_security_hub(to_security_hub: bool, region: str | None) -> None:
    """Refuse a malformed --security-hub-region before any work (exit 2)."""
    if region is not None and not to_security_hub:
        raise fail("--security-hub-region needs --to-security-hub")
    from reporter.publish.security_hub import SecurityHubError, check_region  # noqa: PLC0415

    try:
        check_region(region)
    except SecurityHubError as exc:
        raise fail(str(exc)) from None


def period_dir(out_dir: Path, period: str) -> Path:
    """`--out packs/{period}` (handy in reporter.toml) becomes packs/2026-10, which must be a folder."""
    path = Path(str(out_dir).replace("{period}", period))
    if path.exists() and not path.is_dir():
        raise fail(f"--out {path} is a file, not a folder; give a folder (it is created if missing)")
    return path


def aws_profile(name: str | None) -> None:
    """An unknown --profile is a typo: said before any call, with the profiles there are."""
    if name is None:
        return
    import boto3  # noqa: PLC0415 - boto3 loads slowly; only collect and run come here

    known = boto3.Session().available_profiles
    if name not in known:
        listed = ", ".join(sorted(known)[:10]) or "none (see ~/.aws/config or $AWS_CONFIG_FILE)"
        raise fail(f"--profile {name}: no such AWS profile; known profiles: {listed}")


def snapshot_folder(path: Path) -> Path:
    """A pack folder of `reporter run` holds its snapshot in PACK/snapshot."""
    if not (path / "manifest.json").exists() and (path / "snapshot" / "manifest.json").exists():
        return path / "snapshot"
    return path


def split(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))


def root_event_source(args: CollectArgs) -> RootEventSource:
    kind = args.root_events
    if kind not in ("lookup", "s3", "athena"):
        raise fail(f"--root-events {kind!r}: choose lookup, s3 or athena")
    try:
        return RootEventSource(
            kind=cast("RootEventsKind", kind),  # one of the three, checked above
            bucket=args.trail_bucket,
            prefix=args.trail_prefix,
            directory=args.trail_dir,
            athena_table=args.athena_table,
            athena_workgroup=args.athena_workgroup,
            athena_output=args.athena_output,
            athena_region=args.athena_region,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None


def sign_key(path: Path | None) -> Any:
    """Load the signing key before any AWS call: a wrong passphrase costs nothing."""
    if path is None:
        return None
    from reporter.snapshot.signing import SignatureError, load_private_key  # noqa: PLC0415

    secret = os.environ.get(SIGN_KEY_PASSPHRASE_ENV)
    try:
        return load_private_key(path, secret.encode() if secret else None)
    except SignatureError as exc:
        raise fail(f"{exc} (passphrase: ${SIGN_KEY_PASSPHRASE_ENV})") from None


def pdf_signer(path: Path | None, tsa_url: str | None) -> Any:
    """The PDF's certificate, loaded (and its passphrase tried) before any AWS call."""
    if path is None:
        if tsa_url is not None:
            raise fail("--tsa-url timestamps a PDF signature: give --sign-pdf CERT.p12 too")
        return None
    from reporter.publish.pdf_signature import PdfSigningError, load_pdf_signer  # noqa: PLC0415

    secret = os.environ.get(SIGN_PDF_PASSPHRASE_ENV)
    try:
        return load_pdf_signer(path, secret.encode() if secret else None, tsa_url)
    except PdfSigningError as exc:
        hint = f" (passphrase: ${SIGN_PDF_PASSPHRASE_ENV})" if "passphrase" in str(exc) else ""
        raise fail(f"{exc}{hint}") from None


def pdf_trust_roots(paths: list[Path] | None) -> list[Any]:
    if not paths:
        return []
    from reporter.publish.pdf_signature import PdfSigningError, load_trust_roots  # noqa: PLC0415

    try:
        return load_trust_roots(paths)
    except PdfSigningError as exc:
        raise fail(str(exc)) from None


def public_key(path: Path | None) -> Any:
    """The key the snapshot's signature must verify with, loaded before anything is read."""
    if path is None:
        return None
    from reporter.snapshot.signing import SignatureError, load_public_key  # noqa: PLC0415

    try:
        return load_public_key(path)
    except SignatureError as exc:
        raise fail(str(exc)) from None

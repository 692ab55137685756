"""Checking evidence: `verify` (a snapshot, a chain of them, or the history) and `keygen` (the signing keys)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reporter.cli import inputs
from reporter.cli.console import ExitCode, err, fail, out
from reporter.cli.options import SIGN_KEY_PASSPHRASE_ENV, AttestationsFile, ExceptionsFile, FrameworksDir
from reporter.core.resources import demo_exceptions_file
from reporter.history.store import History, HistoryError
from reporter.publish.pack_manifest import PACK_MANIFEST_NAME
from reporter.snapshot.verify import verify_snapshot

if TYPE_CHECKING:
    from reporter.pack.integrity import Integrity
    from reporter.pack.model import Pack
    from reporter.publish.verify_pack import PackVerification
    from reporter.snapshot.reader import Snapshot


def verify(
    snapshots: Annotated[
        list[Path] | None,
        typer.Argument(
            help="A pack folder (pack-manifest.json), or snapshot folders; several = one monthly chain, oldest first."
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Also require a valid Ed25519 signature (manifest.json.sig) from this key."),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history", help="Verify every pack recorded in this history, month by month, from its snapshot folder."
        ),
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="With --history: only this scope (org:o-… or accounts:…).")
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot", help="With a pack folder: verify this snapshot too, render it again and compare the bytes."
        ),
    ] = None,
    frameworks_dir: FrameworksDir = None,
    attestations: AttestationsFile = None,
    exceptions: ExceptionsFile = None,
    pdf_trust_root: Annotated[
        list[Path] | None,
        typer.Option(
            "--pdf-trust-root",
            help="With a pack folder: the PDF's signature must chain to this CA certificate (PEM/DER; repeatable).",
        ),
    ] = None,
) -> None:
    """Recompute every SHA-256 of a pack or a snapshot; exit 5 if any file is modified, missing or unexpected.

    A pack folder (pack-manifest.json): every output's digest, the signature (--public-key), the PDF's
    attachments and its PAdES signature (--pdf-trust-root); with --snapshot, the snapshot is verified and
    rendered again (with the pack's --frameworks-dir, --attestations, --exceptions and --history when it was
    built with them).
    Several snapshot folders (oldest first) are checked as a chain: each month must record the digest of the
    previous month's manifest; the first broken link is named. --history walks every recorded pack."""
    from reporter.history.chain import verify_history_chain  # noqa: PLC0415
    from reporter.snapshot.chain import verify_chain  # noqa: PLC0415
    from reporter.snapshot.signing import SignatureError, load_public_key, verify_manifest_signature  # noqa: PLC0415

    key = None
    if public_key is not None:
        try:
            key = load_public_key(public_key)
        except SignatureError as exc:
            raise fail(str(exc)) from None
    if snapshots and len(snapshots) == 1 and (snapshots[0] / PACK_MANIFEST_NAME).is_file():
        roots = inputs.pdf_trust_roots(pdf_trust_root)
        result = _verify_pack(snapshots[0], key, roots, snapshot, (frameworks_dir, attestations, exceptions, history))
        raise typer.Exit(ExitCode.OK if result.ok else ExitCode.INTEGRITY)
    for given, name in ((snapshot is not None, "--snapshot"), (bool(pdf_trust_root), "--pdf-trust-root")):
        if given:
            raise fail(f"{name} goes with a pack folder (one holding pack-manifest.json)")
    if history is not None:
        if snapshots:
            raise fail("give snapshot folders or --history, not both")
        try:
            store = History(history, create=False)
        except HistoryError as exc:
            raise fail(str(exc)) from None
        with store:
            scopes = [scope] if scope else store.scopes()
            if scope and scope not in store.scopes():
                raise fail(f"{history}: no pack of scope {scope!r}; scopes: {', '.join(store.scopes()) or 'none'}")
            reports = [(s_, verify_history_chain(store, s_, public_key=key)) for s_ in scopes]
        broken = False
        for name, chain in reports:
            out.print(f"scope {name}: {len(chain.entries)} month(s)", highlight=False, markup=False)
            for line in chain.lines():
                out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
            broken |= not chain.ok
        if not reports:
            out.print(f"{history}: no pack recorded yet", highlight=False, markup=False)
        raise typer.Exit(ExitCode.INTEGRITY if broken else ExitCode.OK)
    if not snapshots:
        raise fail("give a snapshot folder (or several, oldest first), or --history PATH")
    folders = [inputs.snapshot_folder(p) for p in snapshots]
    if len(folders) > 1:
        chain = verify_chain(folders, public_key=key)
        for line in chain.lines():
            out.print(line, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(ExitCode.OK if chain.ok else ExitCode.INTEGRITY)
    snapshot = folders[0]
    opened = inputs.open_snapshot(snapshot)
    problems = verify_snapshot(opened)
    for problem in problems:
        out.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    listed = sum(1 for a in opened.manifest.artifacts if a.status == "ok")
    signature_problem = None
    if key is not None:
        try:
            info = verify_manifest_signature(snapshot, key)
            out.print(f"signature ok: Ed25519 key {info.key_id}", highlight=False)
        except SignatureError as exc:
            signature_problem = str(exc)
            out.print(f"signature: {exc}", highlight=False, markup=False, soft_wrap=True)
    if problems or signature_problem:
        err.print(
            f"{len(problems) + bool(signature_problem)} problem(s) in {snapshot} ({listed} artifacts listed)",
            highlight=False,
            level=logging.ERROR,
        )
        raise typer.Exit(ExitCode.INTEGRITY)
    out.print(f"ok: {listed} artifacts match manifest {opened.digest}", highlight=False, markup=False)
    if opened.manifest.previous_manifest_sha256:
        out.print(
            f"chained to the previous pack's manifest {opened.manifest.previous_manifest_sha256}"
            " (verify both folders together to check the link)",
            highlight=False,
        )


def _verify_pack(
    pack_dir: Path, key: Any, roots: list[Any], snapshot_dir: Path | None, render_inputs: tuple[Any, Any, Any, Any]
) -> PackVerification:
    from reporter.publish.verify_pack import PackManifestError, rerender, verify_pack  # noqa: PLC0415

    try:
        result = verify_pack(pack_dir, public_key=key, pdf_trust_roots=roots)
        if snapshot_dir is not None:
            build = _rebuild(result.manifest, *render_inputs)
            rerender(result, inputs.open_snapshot(inputs.snapshot_folder(snapshot_dir)), build)
    except PackManifestError as exc:
        raise fail(str(exc)) from None
    for line in result.checked:
        out.print(f"ok: {line}", highlight=False, markup=False, soft_wrap=True)
    for note in result.notes:
        out.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    for problem in result.problems:
        out.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    if result.problems:
        err.print(f"{len(result.problems)} problem(s) in pack {pack_dir}", highlight=False, level=logging.ERROR)
    else:
        out.print(
            f"pack {pack_dir} verified: {result.manifest.get('period')}, snapshot"
            f" {result.manifest.get('snapshot', {}).get('manifest_sha256')}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return result


def _rebuild(
    manifest: dict[str, Any],
    frameworks_dir: list[Path] | None,
    attestations: Path | None,
    exceptions: Path | None,
    history: Path | None,
) -> Callable[[Snapshot, Integrity], Pack]:
    """The Pack builder for the inputs the pack records; exit 2 when a recorded input is not given
    or is not the same file (by SHA-256)."""
    from reporter.checks.limits import Thresholds  # noqa: PLC0415
    from reporter.pack.model import PackOptions, build_pack  # noqa: PLC0415
    from reporter.publish.pack_manifest import sha256_file  # noqa: PLC0415

    render = manifest.get("render", {})
    recorded = render.get("frameworks", [])
    chosen = inputs.frameworks(",".join(f["id"] for f in recorded), frameworks_dir) if recorded else []
    for framework, entry in zip(chosen, recorded, strict=True):
        if framework.sha256 != entry.get("sha256"):
            raise fail(
                f"framework {framework.id}: {framework.source} has sha256 {framework.sha256}, the pack was built with"
                f" {entry.get('sha256')}; give the folder it came from with --frameworks-dir"
            )
    for option, path, digest in (
        ("--attestations", attestations, render.get("attestations_sha256")),
        ("--exceptions", exceptions, render.get("exceptions_sha256")),
    ):
        if digest and (path is None or sha256_file(path) != digest):
            demo = demo_exceptions_file()
            hint = f" (the demo's: {demo})" if option == "--exceptions" and sha256_file(demo) == digest else ""
            raise fail(f"the pack was built with {option} of sha256 {digest}; give that file with {option}{hint}")
    if render.get("history") and history is None:
        raise fail("the pack was built with a history (drift); give it with --history")
    thresholds = Thresholds(**render.get("thresholds", {}))
    options = PackOptions(
        thresholds, chosen, inputs.attestations(attestations, chosen), inputs.risk_acceptances(exceptions)
    )
    opened = inputs.open_history(history) if render.get("history") else None

    def build(snapshot: Snapshot, integrity: Integrity) -> Pack:
        return build_pack(snapshot, replace(options, history=opened, integrity=integrity))

    return build


def keygen(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Private key file (PEM, written 0600).")] = Path(
        "reporter.key"
    ),
    public: Annotated[Path | None, typer.Option("--public", help="Public key file (default: OUT.pub).")] = None,
    passphrase_env: Annotated[
        str,
        typer.Option(
            "--passphrase-env", help="Environment variable holding the passphrase that encrypts the private key."
        ),
    ] = SIGN_KEY_PASSPHRASE_ENV,
    force: Annotated[bool, typer.Option("--force", help="Replace existing key files.")] = False,
) -> None:
    """Create an Ed25519 key pair for signing snapshot manifests (--sign-key) and verifying them (--public-key)."""
    from reporter.snapshot.signing import SignatureError, generate_keypair  # noqa: PLC0415

    secret = os.environ.get(passphrase_env)
    if not secret:
        err.print(
            f"[yellow]warning:[/] ${passphrase_env} is not set: the private key is NOT encrypted;"
            " keep it in a secret store",
            highlight=False,
            level=logging.WARNING,
        )
    try:
        private, public_path, key = generate_keypair(
            out_path, public, passphrase=secret.encode() if secret else None, overwrite=force
        )
    except (SignatureError, FileExistsError, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(f"private key {private} (keep secret)\npublic key  {public_path}\nkey id      {key}", highlight=False)


def merge(
    shards: Annotated[list[Path], typer.Argument(help="The N shard snapshots (collect --shard K/N), any order.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New folder for the merged snapshot.")],
) -> None:
    """Join the shards of one collection into one snapshot, after verifying each: exit 5 if a shard's
    file fails verification, 2 if they do not fit together (overlap, gap, another period, organization
    or version). The merged manifest pins every shard's manifest by SHA-256."""
    from reporter.snapshot.merge import MergeError, MergeIntegrityError, merge_snapshots  # noqa: PLC0415

    try:
        manifest = merge_snapshots(shards, out_dir)
    except MergeIntegrityError as exc:
        raise fail(str(exc), ExitCode.INTEGRITY) from None
    except MergeError as exc:
        raise fail(str(exc)) from None
    out.print(
        f"merged {len(manifest.merged_from or [])} shard(s): {len(manifest.accounts)} account(s), "
        f"{len(manifest.artifacts)} artifact(s) -> {out_dir}",
        highlight=False,
        soft_wrap=True,
    )

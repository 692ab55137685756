"""Checking evidence: `verify` (a snapshot, a chain of them, or the history) and `keygen` (the signing keys)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from reporter.cli import inputs
from reporter.cli.console import ExitCode, err, fail, out
from reporter.cli.options import SIGN_KEY_PASSPHRASE_ENV
from reporter.history.store import History, HistoryError
from reporter.snapshot.verify import verify_snapshot


def verify(
    snapshots: Annotated[
        list[Path] | None,
        typer.Argument(help="Snapshot (or `run` pack) folders; several = one monthly chain, oldest first."),
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
) -> None:
    """Recompute every SHA-256 of SNAPSHOT; exit 5 if any file is modified, missing or unexpected.

    Several folders (oldest first) are checked as a chain: each month must record the digest of the
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
        )
        raise typer.Exit(ExitCode.INTEGRITY)
    out.print(f"ok: {listed} artifacts match manifest {opened.digest}", highlight=False, markup=False)
    if opened.manifest.previous_manifest_sha256:
        out.print(
            f"chained to the previous pack's manifest {opened.manifest.previous_manifest_sha256}"
            " (verify both folders together to check the link)",
            highlight=False,
        )


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
        )
    try:
        private, public_path, key = generate_keypair(
            out_path, public, passphrase=secret.encode() if secret else None, overwrite=force
        )
    except (SignatureError, FileExistsError, OSError) as exc:
        raise fail(str(exc)) from None
    out.print(f"private key {private} (keep secret)\npublic key  {public_path}\nkey id      {key}", highlight=False)

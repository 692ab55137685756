"""Ed25519 signatures of a snapshot's manifest.json: who vouches for this evidence.

The manifest pins every artifact by SHA-256, so signing its exact bytes signs the whole snapshot.
The signature is detached, in `manifest.json.sig` beside the manifest (it cannot be inside the
file it signs), as a small JSON document:

```json
{"format": "reporter-signature/1", "algorithm": "Ed25519",
 "key_id": "<SHA-256 of the raw 32-byte public key>", "manifest_sha256": "<SHA-256 of manifest.json>",
 "signature": "<base64 of the 64-byte Ed25519 signature over the manifest.json bytes>"}
```

`key_id` and `manifest_sha256` are hints that turn a bare "invalid signature" into a precise
message (signed by another key; manifest changed since signing). They are not trusted: only the
Ed25519 verification decides. The signature verifies with stock OpenSSL too:
`jq -r .signature manifest.json.sig | base64 -d > sig.bin;
openssl pkeyutl -verify -pubin -inkey reporter.pub -rawin -in manifest.json -sigfile sig.bin`.

Keys are PEM: PKCS#8 private key (optionally encrypted with a passphrase), written with mode 0600,
and a SubjectPublicKeyInfo public key. The private key is never written anywhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reporter.snapshot.manifest import MANIFEST_NAME
from reporter.snapshot.verify import SIGNATURE_NAME
from reporter.snapshot.writer import atomic_write

__all__ = [
    "SIGNATURE_FORMAT",
    "SIGNATURE_NAME",
    "SignatureError",
    "SignatureInfo",
    "generate_keypair",
    "key_id",
    "load_private_key",
    "load_public_key",
    "sign_file",
    "sign_manifest",
    "verify_file_signature",
    "verify_manifest_signature",
]

SIGNATURE_FORMAT = "reporter-signature/1"


class SignatureError(Exception):
    """A key or a signature cannot be used, or a signature does not verify. `str(e)` says which
    file and why (missing, wrong key, manifest changed, signature altered)."""


@dataclass(frozen=True)
class SignatureInfo:
    key_id: str
    manifest_sha256: str
    signature_path: Path

    def as_dict(self) -> dict[str, Any]:
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "manifest_sha256": self.manifest_sha256,
            "signature_file": self.signature_path.name,
        }


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _write_new(path: Path, data: bytes, mode: int, overwrite: bool) -> None:
    """Write `data` to `path` with `mode` from the first byte on (never briefly world-readable),
    atomically; refuse an existing file unless `overwrite`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if `path` exists: no race between check and write
            os.unlink(tmp)
    except FileExistsError:
        Path(tmp).unlink(missing_ok=True)
        raise SignatureError(f"{path}: already exists; refusing to overwrite a key") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_keypair(
    private_path: Path | str,
    public_path: Path | str | None = None,
    *,
    passphrase: bytes | None = None,
    overwrite: bool = False,
) -> tuple[Path, Path, str]:
    """Create an Ed25519 key pair. The private key goes to `private_path` (PEM PKCS#8, mode 0600,
    encrypted when `passphrase` is given), the public key to `public_path` (default: the private
    path + ".pub"). Returns (private path, public path, key id)."""
    private_path = Path(private_path)
    public_path = Path(public_path) if public_path is not None else private_path.with_name(private_path.name + ".pub")
    if not overwrite:
        for path in (private_path, public_path):
            if path.exists():
                raise SignatureError(f"{path}: already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem, 0o600, overwrite)
    _write_new(public_path, public_pem, 0o644, overwrite)
    return private_path, public_path, key_id(key.public_key())


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SignatureError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise SignatureError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def load_private_key(path: Path | str, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    path = Path(path)
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        raise SignatureError(f"{path}: {exc}") from None
    except ValueError as exc:
        if b"PUBLIC KEY" in data:
            raise SignatureError(f"{path}: this is a public key; signing needs the private key") from None
        raise SignatureError(f"{path}: not a PEM private key, or a wrong passphrase ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path}: a {type(key).__name__.removeprefix('_')} key; reporter signs with Ed25519")
    return key


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    path = Path(path)
    data = _read(path, "public key")
    if b"PRIVATE KEY" in data:
        raise SignatureError(f"{path}: this is a private key; give the public key (.pub) to verify")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SignatureError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{path}: a {type(key).__name__.removeprefix('_')} key; reporter verifies Ed25519")
    return key


def sign_file(
    path: Path | str, private_key: Ed25519PrivateKey | Path | str, passphrase: bytes | None = None
) -> SignatureInfo:
    """Sign the exact bytes of `path` and write `<path>.sig` beside it (replacing an older signature)."""
    target_file = Path(path)
    key = private_key if isinstance(private_key, Ed25519PrivateKey) else load_private_key(private_key, passphrase)
    data = _read(target_file, "manifest")
    doc = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "Ed25519",
        "key_id": key_id(key.public_key()),
        "manifest_sha256": hashlib.sha256(data).hexdigest(),
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
    }
    target = target_file.with_name(target_file.name + ".sig")
    atomic_write(target, orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n")
    return SignatureInfo(doc["key_id"], doc["manifest_sha256"], target)


def verify_file_signature(path: Path | str, public_key: Ed25519PublicKey | Path | str) -> SignatureInfo:
    """Check `<path>.sig` against the bytes of `path` with `public_key`; raise SignatureError
    saying what is wrong, or return what was verified."""
    signed = Path(path)
    key = public_key if isinstance(public_key, Ed25519PublicKey) else load_public_key(public_key)
    sig_path = signed.with_name(signed.name + ".sig")
    if not sig_path.is_file():
        raise SignatureError(f"{sig_path}: missing; {signed.name} is not signed")
    manifest = _read(signed, "manifest")
    try:
        doc = orjson.loads(sig_path.read_bytes())
        if not isinstance(doc, dict) or doc.get("format") != SIGNATURE_FORMAT or doc.get("algorithm") != "Ed25519":
            raise ValueError(f"expected format {SIGNATURE_FORMAT} with algorithm Ed25519")
        signature = base64.b64decode(str(doc["signature"]), validate=True)
        if len(signature) != 64:
            raise ValueError(f"an Ed25519 signature is 64 bytes, this one {len(signature)}")
    except (orjson.JSONDecodeError, KeyError, ValueError, binascii.Error) as exc:
        raise SignatureError(f"{sig_path}: not a reporter signature file ({exc})") from None
    actual_digest = hashlib.sha256(manifest).hexdigest()
    expected_key = key_id(key)
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        if doc.get("key_id") != expected_key:
            raise SignatureError(
                f"{sig_path}: signed with key {str(doc.get('key_id'))[:16]}…, not with the given public key"
                f" {expected_key[:16]}… (wrong key)"
            ) from None
        if doc.get("manifest_sha256") != actual_digest:
            raise SignatureError(
                f"{signed}: changed after it was signed (signed sha256"
                f" {str(doc.get('manifest_sha256'))[:16]}…, now {actual_digest[:16]}…)"
            ) from None
        raise SignatureError(f"{sig_path}: signature does not verify (the signature file was altered)") from None
    return SignatureInfo(expected_key, actual_digest, sig_path)


def sign_manifest(
    snapshot_dir: Path | str, private_key: Ed25519PrivateKey | Path | str, passphrase: bytes | None = None
) -> SignatureInfo:
    """Sign `snapshot_dir/manifest.json` and write `manifest.json.sig` beside it."""
    return sign_file(Path(snapshot_dir) / MANIFEST_NAME, private_key, passphrase)


def verify_manifest_signature(snapshot_dir: Path | str, public_key: Ed25519PublicKey | Path | str) -> SignatureInfo:
    """Check a snapshot's `manifest.json.sig` (see verify_file_signature)."""
    public_key = public_key if isinstance(public_key, Ed25519PublicKey) else load_public_key(public_key)
    sig = Path(snapshot_dir) / SIGNATURE_NAME
    if not sig.is_file():
        raise SignatureError(f"{sig}: missing; the snapshot is not signed")
    return verify_file_signature(Path(snapshot_dir) / MANIFEST_NAME, public_key)

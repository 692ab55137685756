"""`--output-bucket s3://bucket/prefix`: deliver the pack (PDF, XLSX, JSON, snapshot archive) to S3.

Objects land under `<prefix>/<YYYY-MM>/`, each encrypted at rest (SSE-S3 AES256, or SSE-KMS with
a key id) and carrying the snapshot's manifest digest as object metadata, so an object found in
the bucket names the evidence it was built from. The snapshot travels as one `.tar.gz` built
byte-reproducibly (sorted entries, fixed owner and times = as_of), so re-uploading the same
snapshot gives the same object.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reporter import __version__

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",  # findings.ocsf.jsonl
    ".csv": "text/csv; charset=utf-8",
    ".gz": "application/gzip",
}


class UploadError(Exception):
    """The bucket URL is malformed or an upload failed. `str(e)` says which object(s) and why;
    `written` names the objects that did reach the bucket (a partial upload)."""

    def __init__(self, message: str, written: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.written = list(written)


@dataclass(frozen=True)
class BucketTarget:
    bucket: str
    prefix: str  # no leading or trailing slash; may be ""
    sse: str = "AES256"  # AES256 | aws:kms
    kms_key_id: str | None = None

    def key(self, period: str, name: str) -> str:
        return "/".join(p for p in (self.prefix, period, name) if p)


_BUCKET = re.compile(r"s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?")


def parse_target(url: str, *, sse: str = "AES256", kms_key_id: str | None = None) -> BucketTarget:
    match = _BUCKET.fullmatch(url.strip())
    if match is None:
        raise UploadError(f"--output-bucket {url!r}: expected s3://bucket[/prefix]")
    if kms_key_id is not None:
        sse = "aws:kms"  # a KMS key id only makes sense with SSE-KMS
    if sse not in ("AES256", "aws:kms"):
        raise UploadError(f"--sse {sse!r}: choose AES256 or aws:kms")
    return BucketTarget(match.group(1), (match.group(2) or "").strip("/"), sse, kms_key_id)


def snapshot_archive(snapshot_dir: Path, as_of: datetime) -> bytes:
    """The snapshot folder as a reproducible .tar.gz (entries under `snapshot/`)."""
    mtime = int(as_of.timestamp())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(p for p in snapshot_dir.rglob("*") if p.is_file()):
            info = tarfile.TarInfo("snapshot/" + path.relative_to(snapshot_dir).as_posix())
            info.size = path.stat().st_size
            info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = mtime, 0o644, 0, 0, "", ""
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=mtime, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def upload_pack(
    target: BucketTarget,
    files: Sequence[Path],
    *,
    period: str,
    manifest_sha256: str,
    snapshot_dir: Path | None,
    as_of: datetime,
    client: Any,
) -> list[str]:
    """Upload `files` and (when given) the snapshot archive; return the s3:// URLs written. A failed
    object does not stop the others: every one is tried, then UploadError names each that failed
    (whatever its exception class, ResponseParserError included) and carries those written."""
    metadata = {"manifest-sha256": manifest_sha256, "period": period, "reporter-version": __version__}
    extra: dict[str, Any] = {"ServerSideEncryption": target.sse, "Metadata": metadata}
    if target.kms_key_id:
        extra["SSEKMSKeyId"] = target.kms_key_id
    bodies: list[tuple[str, Any]] = [(p.name, p) for p in files]
    if snapshot_dir is not None:
        bodies.append((f"snapshot-{period}.tar.gz", snapshot_archive(snapshot_dir, as_of)))
    from boto3.exceptions import S3UploadFailedError  # noqa: PLC0415 - boto3 loads slowly
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415
    from botocore.parsers import ResponseParserError  # noqa: PLC0415 - not a BotoCoreError

    written, failed = [], []
    for name, body in bodies:
        key = target.key(period, name)
        args = {**extra, "ContentType": CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")}
        try:
            if isinstance(body, Path):
                # upload_file: multipart for big files, with the same encryption and metadata.
                client.upload_file(str(body), target.bucket, key, ExtraArgs=args)
            else:
                client.put_object(Bucket=target.bucket, Key=key, Body=body, **args)
        except (ClientError, BotoCoreError, S3UploadFailedError, ResponseParserError) as exc:
            failed.append(f"s3://{target.bucket}/{key}: upload failed: {exc}")
            continue
        written.append(f"s3://{target.bucket}/{key}")
    if failed:
        raise UploadError("; ".join(failed), written)
    return written

"""A certificate authority made in the test, a PDF signer's PKCS#12 and an RFC 3161 timestamp
authority on 127.0.0.1 (pyHanko's DummyTimeStamper behind http.server), for --sign-pdf tests."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = b"test-p12-passphrase"


@dataclass(frozen=True)
class Pki:
    ca_pem: Path  # the trust root an auditor would be given
    p12: Path  # signer key + certificate + CA, encrypted with PASSPHRASE
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey  # pyHanko's DummyTimeStamper signs with RSA only


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "reporter tests"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    serial: int, *, ca: bool = False, eku: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:  # fmt: skip
    # Valid around the real clock: pyHanko's validator judges the certificate at validation time.
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path, ca_name: str = "Test Audit CA") -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(ca_name, ca_key, _name(ca_name), ca_key, 1, ca=True)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _cert("Pack Signer", signer_key, ca.subject, ca_key, 2)
    tsa_key = rsa.generate_private_key(65537, 2048)
    tsa = _cert("Test TSA", tsa_key, ca.subject, ca_key, 3, eku=ExtendedKeyUsageOID.TIME_STAMPING)
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    p12 = folder / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", signer_key, signer, [ca], serialization.BestAvailableEncryption(PASSPHRASE)
        )
    )
    return Pki(ca_pem, p12, tsa, tsa_key)


@contextmanager
def timestamp_authority(pki: Pki) -> Iterator[str]:
    """Serve RFC 3161 timestamps on 127.0.0.1; yields the URL to give --tsa-url."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(pki.tsa_cert.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            pki.tsa_key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()

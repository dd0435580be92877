"""Signed briefings and copies: the signature validates, and an altered file no longer does."""

from __future__ import annotations

import datetime
import io

import pytest

from conftest import EXAMPLE, copy_project, run_cli

pytest.importorskip("pyhanko")


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    """A self-signed certificate and key made for the test."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("keys")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "وحدة الاختبار"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
        ]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _status(data: bytes, cert_path):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    return validate_pdf_signature(reader.embedded_signatures[0], context)


def test_a_signed_briefing_validates_and_an_altered_one_does_not(tmp_path, credentials):
    key, cert = credentials
    project = copy_project(EXAMPLE, tmp_path / "water")
    result = run_cli("build", str(project), "-q", "--sign-key", str(key), "--sign-cert", str(cert))
    assert result.returncode == 0, result.stderr
    data = (project / "output" / "water-briefing.pdf").read_bytes()
    status = _status(data, cert)
    assert status.intact and status.valid and status.trusted
    # Change one byte inside the signed range (the first page's content is there).
    position = data.index(b"/Type /Page") + 2
    altered = (
        data[:position] + (b"X" if data[position : position + 1] != b"X" else b"Y") + data[position + 1 :]
    )
    assert not _status(altered, cert).intact


def test_signed_copies_validate(tmp_path, credentials):
    key, cert = credentials
    project = copy_project(EXAMPLE, tmp_path / "water")
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("name,unit\nمحمد,أ\nسعاد,ب\n", encoding="utf-8")
    result = run_cli(
        "copies",
        str(project),
        "--recipients",
        str(recipients),
        "--sign-key",
        str(key),
        "--sign-cert",
        str(cert),
    )
    assert result.returncode == 0, result.stderr
    for copy in sorted((project / "output" / "water-briefing-copies").glob("*.pdf")):
        status = _status(copy.read_bytes(), cert)
        assert status.intact and status.valid and status.trusted, copy.name


def test_signing_needs_both_key_and_certificate(tmp_path, credentials):
    key, _ = credentials
    project = copy_project(EXAMPLE, tmp_path / "water")
    result = run_cli("build", str(project), "--sign-key", str(key))
    assert (result.returncode, result.stderr.strip()) == (2, "give both --sign-key and --sign-cert to sign")

"""Digital signatures (pyHanko): sign a finished PDF with a key and certificate the user gives."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from .errors import Location, ReportError


@dataclass(frozen=True)
class SigningKey:
    key: Path
    cert: Path
    passphrase: bytes | None = None


def sign_pdf(data: bytes, signing: SigningKey, reason: str = "") -> bytes:
    """Return the PDF with an invisible signature appended as an incremental update."""
    try:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
    except ImportError:
        raise ReportError("signing needs pyHanko: pip install pyhanko") from None
    for path in (signing.key, signing.cert):
        if not Path(path).is_file():
            raise ReportError("file not found", Location(Path(path)))
    signer = signers.SimpleSigner.load(str(signing.key), str(signing.cert), key_passphrase=signing.passphrase)
    if signer is None:
        raise ReportError("cannot read the signing key or certificate", Location(Path(signing.key)))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(field_name="Signature", reason=reason or None)
    return signers.sign_pdf(writer, metadata, signer=signer).getvalue()

"""Seals for what a build leaves in the project (chart cache, manifest), keyed by a user secret.

The project folder is not trusted, so a hash written inside it proves nothing: whoever
plants a file can write its hash too. An HMAC with a key kept outside the project, in
the cache folder of the person running `report`, can only have been made by `report`
running for that person.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

_KEY: bytes | None = None


def user_key() -> bytes:
    """The secret of the person running `report`, kept in their cache folder (not the project's).

    When it cannot be stored, a key for this process only: what it sealed is then made
    again by the next run, never trusted unchecked.
    """
    global _KEY
    if _KEY is not None:
        return _KEY
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    # Named for its first use (the chart cache); kept so existing caches stay valid.
    path = Path(base) / "report" / "chart-seal.key"
    try:
        key = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        if len(key) < 32:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(prefix=".chart-seal.", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(secrets.token_bytes(32))
                try:
                    os.link(temporary, path)  # never replaces a key another build already uses
                except FileExistsError:
                    pass
            finally:
                Path(temporary).unlink(missing_ok=True)
            key = path.read_bytes()
    except OSError:
        key = b""
    _KEY = key if len(key) >= 32 else secrets.token_bytes(32)
    return _KEY


def seal(data: bytes) -> str:
    """The seal of `data`: an HMAC-SHA256 with the user's key, in hex."""
    return hmac.new(user_key(), data, hashlib.sha256).hexdigest()


def is_sealed(data: bytes, claimed: object) -> bool:
    return isinstance(claimed, str) and hmac.compare_digest(seal(data), claimed)

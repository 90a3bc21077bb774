"""One-time codes: 80 random bits as 16 Crockford base32 characters (DESIGN.md section 5).

The database only ever sees `digest(code)`, an HMAC under the instance's pepper, so a copy of the
database cannot be matched against a list of printed codes without the instance configuration.
"""
from __future__ import annotations

import base64
import re
import secrets

from cryptography.hazmat.primitives import hashes, hmac

TOKEN_BYTES = 10  # 80 bits: 16 base32 characters, no padding
_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_RFC4648, CROCKFORD)
# Read leniently what people mistype: O for 0, I and L for 1; separators and case do not matter.
_LENIENT = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_CANONICAL = re.compile(f"^[{CROCKFORD}]{{16}}$")


def new_token() -> str:
    """A fresh code from `secrets`, written in four groups of four for reading aloud and typing."""
    raw = base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii").translate(_TO_CROCKFORD)
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def canonical(text: str) -> str | None:
    """The code as typed, normalised to 16 upper-case characters; None if it cannot be a code."""
    cleaned = _SEPARATORS.sub("", text or "").upper().translate(_LENIENT)
    return cleaned if _CANONICAL.match(cleaned) else None


def digest(canonical_token: str, pepper: bytes) -> bytes:
    """HMAC-SHA256 of the canonical code: the only form in which a code is stored."""
    mac = hmac.HMAC(pepper, hashes.SHA256())
    mac.update(canonical_token.encode("ascii"))
    return mac.finalize()

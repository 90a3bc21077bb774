"""Sealing answers (HPKE) and the key files of an instance (DESIGN.md section 6).

One X25519 key pair exists: the Statistics Office's. Every answer is sealed to its public key at
the moment of submission, whether it then waits in the mix pool or lies in the store; the private
half is encrypted with a passphrase and is needed only for releases. The server holds no key that
opens an answer, so neither it nor a copy of its database and instance folder can read one.
All primitives come from pyca/cryptography.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .files import ensure_private_dir, write_private_file

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
#: Plaintexts are padded to a multiple of this, so a ciphertext's length does not tell
#: how many questions someone answered (e.g. that they reported discrimination and its details).
PAD_BLOCK = 1024

STATISTICS_PUBLIC = "statistics-office.pub"
STATISTICS_PRIVATE = "statistics-office.key"
#: HPKE with X25519 adds a 32-byte encapsulated key and a 16-byte tag to the padded plaintext.
HPKE_OVERHEAD = 32 + 16


class KeyProblem(Exception):
    """A key file is missing, unreadable, or the passphrase does not open it."""


class WrongPassphrase(KeyProblem):
    pass


def info_for(wave_id: int) -> bytes:
    """HPKE info binding an answer's ciphertext to its wave: it cannot be moved to another wave.

    The stratum is not bound here but sealed inside the payload: a caller that needs the info to
    open a ciphertext must not need to know the stratum, which is never stored in clear."""
    return f"wir-survey/answer/v2/wave={wave_id}".encode("ascii")


def is_well_formed(ciphertext: bytes) -> bool:
    """Whether a value has the exact shape of a sealed, padded answer (checked without any key)."""
    body = len(ciphertext) - HPKE_OVERHEAD
    return body >= PAD_BLOCK and body % PAD_BLOCK == 0


def seal(payload: dict, public_key: X25519PublicKey, info: bytes) -> bytes:
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    # JSON ignores trailing whitespace, so spaces pad without any length field.
    data += b" " * (-len(data) % PAD_BLOCK)
    return SUITE.encrypt(data, public_key, info)


def open_sealed(ciphertext: bytes, private_key: X25519PrivateKey, info: bytes) -> dict:
    return json.loads(SUITE.decrypt(ciphertext, private_key, info))


def fingerprint(public_key: X25519PublicKey) -> str:
    """SHA-256 of the raw public key, in groups, for reading out in a staff council meeting."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    h = hashes.Hash(hashes.SHA256())
    h.update(raw)
    hexed = h.finalize().hex().upper()
    return ":".join(hexed[i : i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class KeyFiles:
    """The key files in `<instance>/keys`."""

    directory: Path

    @property
    def statistics_public(self) -> Path:
        return self.directory / STATISTICS_PUBLIC

    @property
    def statistics_private(self) -> Path:
        return self.directory / STATISTICS_PRIVATE

    def exist(self) -> bool:
        return all(p.exists() for p in (self.statistics_public, self.statistics_private))

    def create(self, passphrase: str) -> str:
        """Write the key pair; refuse to replace it (stored responses would become unreadable)."""
        if not passphrase:
            raise KeyProblem("The passphrase must not be empty.")
        existing = [p.name for p in (self.statistics_public, self.statistics_private) if p.exists()]
        if existing:
            raise KeyProblem(
                f"Keys already exist in {self.directory} ({', '.join(existing)}); they are never replaced, "
                "because responses sealed to them would become unreadable."
            )
        ensure_private_dir(self.directory)
        statistics = X25519PrivateKey.generate()
        write_private_file(
            self.statistics_private,
            statistics.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
            ),
        )
        # Public, yet owner-only like every other file of the instance folder: the audit checks the
        # folder's modes without exceptions (`wir-survey audit`, file_modes).
        write_private_file(
            self.statistics_public,
            statistics.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        return fingerprint(statistics.public_key())

    def load_statistics_public(self) -> X25519PublicKey:
        key = serialization.load_pem_public_key(_read(self.statistics_public))
        if not isinstance(key, X25519PublicKey):
            raise KeyProblem(f"{self.statistics_public} is not an X25519 public key.")
        return key

    def load_statistics_private(self, passphrase: str) -> X25519PrivateKey:
        try:
            key = serialization.load_pem_private_key(
                _read(self.statistics_private), password=passphrase.encode("utf-8")
            )
        except (ValueError, TypeError) as exc:
            raise WrongPassphrase("The passphrase does not open the Statistics Office key.") from exc
        if not isinstance(key, X25519PrivateKey):
            raise KeyProblem(f"{self.statistics_private} is not an X25519 private key.")
        return key

    def statistics_private_is_encrypted(self) -> bool:
        return _read(self.statistics_private).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyProblem(f"Key file {path} is missing: run `wir-survey keys create` first.") from None



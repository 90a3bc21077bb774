"""The instance's key files, loaded once per process and path."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from flask import current_app

from .crypto import KeyFiles


def key_files() -> KeyFiles:
    return KeyFiles(Path(current_app.config["KEYS_DIR"]))


def statistics_public_key() -> X25519PublicKey:
    return _statistics_public(str(key_files().directory))


@lru_cache(maxsize=8)
def _statistics_public(directory: str) -> X25519PublicKey:
    return KeyFiles(Path(directory)).load_statistics_public()

"""The password policy and hashing, in one place for the CLI and the web.

Argon2id (argon2-cffi's defaults) is made for password storage: slow and memory-hard, so a stolen
database does not give the passwords away quickly. Length beats composition rules; the list of
common passwords catches the long ones people still pick.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")

_hasher = PasswordHasher()


class PasswordRejected(ValueError):
    """A new password breaks the policy; the message says which rule (for the command line), and
    `rule` names it for pages that word it in the interface language: `too_short`, `too_long`,
    `common` or `contains_name`."""

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_policy(password: str, name: str = "") -> None:
    """Raise PasswordRejected unless `password` is long enough, not common, and not the account name."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"The password must have at least {MIN_LENGTH} characters.", "too_short")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"The password may have at most {MAX_LENGTH} characters.", "too_long")
    folded = password.casefold()
    if folded in _common() or len(set(folded)) < 4:
        raise PasswordRejected("This password is among the most common ones; choose another.", "common")
    if name and name.casefold() in folded:
        raise PasswordRejected("The password must not contain the account name.", "contains_name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


#: A hash of nothing anyone types, verified for unknown names so that they take as long as known ones.
DUMMY_HASH = _hasher.hash("no account has this password, it only costs time")

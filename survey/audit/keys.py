"""The keys: the Statistics Office's public key present, its private half under a passphrase, no other
private key anywhere in the keys folder, and the instance's secrets configured."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from ..crypto import KeyFiles, KeyProblem
from . import Check


def keys_present(app: Flask) -> Check:
    problems = []
    files = KeyFiles(Path(app.config["KEYS_DIR"]))
    try:
        files.load_statistics_public()
        if not files.statistics_private_is_encrypted():
            problems.append("the Statistics Office private key is not protected by a passphrase")
        for path in sorted(files.directory.iterdir()):
            head = path.read_bytes()[:64] if path.is_file() else b""
            if b"PRIVATE KEY-----" in head and b"ENCRYPTED" not in head:
                problems.append(f"{path.name} is a private key without a passphrase, readable by anyone with a backup")
    except KeyProblem as exc:
        problems.append(str(exc))
    except ValueError as exc:
        problems.append(f"a key file cannot be read ({exc})")
    for name, minimum in (("SECRET_KEY", 32), ("TOKEN_PEPPER", 64), ("SESSION_KEY", 32)):
        if len(str(app.config.get(name) or "")) < minimum:
            problems.append(f"the instance configuration has no proper {name}")
    if problems:
        return Check("keys_present", False, "Keys are incomplete: " + "; ".join(problems) + ".")
    return Check(
        "keys_present",
        True,
        "The Statistics Office public key seals every answer from the moment it is submitted, and its private "
        "key is protected by a passphrase; no other private key lies in the keys folder, so neither the "
        "server nor a copy of its database and instance folder can open an answer. The secret for code "
        "fingerprints is in the instance configuration, not in the database.",
    )

"""Backups of an instance, and restoring one into a fresh instance (`wir-survey backup`, `restore`).

A backup is one file: a consistent snapshot of the database, made by the engine's own tool
(SQLite's backup API, `pg_dump`), together with the instance configuration, the key files and
the published release files, encrypted with a passphrase of its own. The encryption is
pyca/cryptography's recipe for passwords: a key derived with scrypt, used with Fernet
(AES-CBC with HMAC-SHA256), so a wrong passphrase or a changed byte is refused as one.

What a backup never holds: print files of codes (the payroll CSV or PDF), which live outside the
instance or in `demo-codes/`, nothing but the listed items is read. The archive can still tell,
with TOKEN_PEPPER from its configuration, whether a given code was used, which is why its
passphrase must differ from the Statistics Office's (checked) and be kept like a key.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import make_url

from .crypto import KeyProblem
from .extensions import db
from .files import PRIVATE_DIR, ensure_private_dir, sqlite_file, write_private_file
from .keys import key_files

MAGIC = b"WIR-SURVEY-BACKUP 1\n"
#: scrypt's cost: about 128 MiB and a fraction of a second per try, for whoever guesses passphrases.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
DATABASE_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupProblem(Exception):
    """Why a backup or restore was refused; nothing was written when it is raised."""


@dataclass(frozen=True)
class Restored:
    engine: str
    revision: str | None
    files: int


# --- the encrypted envelope -------------------------------------------------------------------

def _fernet(passphrase: str, salt: bytes, n: int, r: int, p: int) -> Fernet:
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(payload: bytes, passphrase: str) -> bytes:
    salt = secrets.token_bytes(16)
    header = {"kdf": "scrypt", **SCRYPT, "salt": base64.b64encode(salt).decode("ascii")}
    token = _fernet(passphrase, salt, **SCRYPT).encrypt(payload)
    return MAGIC + json.dumps(header, sort_keys=True).encode("ascii") + b"\n" + token


def unseal(archive: bytes, passphrase: str) -> bytes:
    if not archive.startswith(MAGIC):
        raise BackupProblem("This file is not a wir-survey backup (it does not start like one).")
    try:
        header_line, token = archive[len(MAGIC):].split(b"\n", 1)
        header = json.loads(header_line)
        salt = base64.b64decode(header["salt"])
        fernet = _fernet(passphrase, salt, int(header["n"]), int(header["r"]), int(header["p"]))
    except (ValueError, KeyError, TypeError):
        raise BackupProblem("The backup's header is damaged; nothing was restored.") from None
    try:
        return fernet.decrypt(token)
    except InvalidToken:
        raise BackupProblem("The backup passphrase is wrong, or the archive was changed or damaged; "
                            "nothing was restored.") from None


# --- backup -----------------------------------------------------------------------------------

def check_passphrase(passphrase: str) -> None:
    """A backup's passphrase is long and is not the Statistics Office's (one secret must not open both)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupProblem(f"The backup passphrase must have at least {MIN_PASSPHRASE} characters.")
    try:
        key_files().load_statistics_private(passphrase)
    except KeyProblem:
        return
    raise BackupProblem("That is the Statistics Office's passphrase; a backup needs a passphrase of its own, "
                        "kept by someone else.")


def write_backup(out: Path, passphrase: str) -> dict:
    """Snapshot the database, then add configuration, keys and releases; write `out` once (0600).

    The database comes first: release files written after it belong to no logged release and
    do no harm, while a logged release always finds its files."""
    out = Path(out)
    if out.exists():
        raise BackupProblem(f"{out} exists already; a backup is written into a new file.")
    check_passphrase(passphrase)
    engine = _engine_name()
    members: dict[str, bytes] = {DATABASE_MEMBER[engine]: _dump_database(engine)}
    members.update(_instance_files(Path(current_app.instance_path)))
    manifest = {
        "format": 1,
        "engine": engine,
        "revision": _revision(),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    members["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    sealed = seal(_tar(members), passphrase)
    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}")
    write_private_file(temporary, sealed)
    os.replace(temporary, out)
    return manifest


def _engine_name() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_MEMBER:
        raise BackupProblem(f"Backups know SQLite and PostgreSQL, not {name}.")
    return name


def _revision() -> str | None:
    from .database import current_revision

    with db.engine.connect() as connection:
        return current_revision(connection)


def _dump_database(engine: str) -> bytes:
    if engine == "sqlite":
        return _sqlite_snapshot(sqlite_file(str(db.engine.url)))
    return _run_pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges")


def _sqlite_snapshot(path: Path | None) -> bytes:
    """A consistent copy through SQLite's backup API, into memory and serialised as a database file."""
    if path is None:
        raise BackupProblem("An in-memory SQLite database cannot be backed up.")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(":memory:")
    try:
        source.backup(target)
        return target.serialize()
    finally:
        target.close()
        source.close()


def _pg_target() -> tuple[str, dict[str, str]]:
    """The libpq address of the app's database, and the environment carrying its password (never argv)."""
    url = make_url(str(db.engine.url))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    address = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return address, env


def _run_pg(tool: str, *arguments: str, stdin: bytes | None = None) -> bytes:
    if shutil.which(tool) is None:
        raise BackupProblem(f"{tool} is not installed: install PostgreSQL's client tools of the server's version "
                            "(Debian: postgresql-client).")
    address, env = _pg_target()
    result = subprocess.run([tool, *arguments, f"--dbname={address}"], input=stdin, capture_output=True, env=env,
                            timeout=3600)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BackupProblem(f"{tool} failed: {reason[0] if reason else f'exit status {result.returncode}'}")
    return result.stdout


def _instance_files(instance: Path) -> dict[str, bytes]:
    """Configuration, key files and release files; nothing else of the instance folder."""
    files: dict[str, bytes] = {}
    config = instance / "config.py"
    if not config.is_file():
        raise BackupProblem(f"{config} is missing; there is no instance to back up.")
    files["instance/config.py"] = config.read_bytes()
    keys = Path(str(current_app.config["KEYS_DIR"]))
    for path in sorted(keys.glob("*")) if keys.is_dir() else []:
        if path.is_file():
            files[f"instance/keys/{path.name}"] = path.read_bytes()
    releases = Path(str(current_app.config["RELEASES_DIR"]))
    for path in sorted(releases.rglob("*")) if releases.is_dir() else []:
        if path.is_file():
            files[f"instance/releases/{path.relative_to(releases).as_posix()}"] = path.read_bytes()
    return files


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --- restore ----------------------------------------------------------------------------------

def restore(archive_path: Path, passphrase: str) -> Restored:
    """Restore a backup into the fresh instance this app points at; refuse anything not empty.

    Order: open and check everything, stage the files beside the instance, restore the database in
    one transaction (pg_restore --single-transaction, or a file renamed into place), then move the
    staged files in. Every refusal comes before the first write."""
    members = _members(unseal(Path(archive_path).read_bytes(), passphrase))
    manifest = json.loads(members.pop("manifest.json"))
    for name, digest in manifest["files"].items():
        if hashlib.sha256(members.get(name, b"")).hexdigest() != digest:
            raise BackupProblem(f"The backup's {name} does not match its manifest; nothing was restored.")
    engine = _engine_name()
    if manifest["engine"] != engine:
        raise BackupProblem(f"This backup holds a {manifest['engine']} database, but the target is {engine}: set or "
                            "unset WIR_SURVEY_DATABASE_URL to match.")
    instance = Path(current_app.instance_path)
    _refuse_unless_empty(instance, engine)
    staging = Path(tempfile.mkdtemp(prefix=f".{instance.name}.restoring-", dir=_parent(instance)))
    try:
        files = _stage(staging, members)
        _restore_database(engine, members[DATABASE_MEMBER[engine]])
        ensure_private_dir(instance)
        for path in sorted(staging.iterdir()):
            os.replace(path, instance / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(engine, manifest.get("revision"), files)


def _parent(instance: Path) -> Path:
    ensure_private_dir(instance.parent)
    return instance.parent


def _members(payload: bytes) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r") as archive:
        for info in archive.getmembers():
            name = PurePosixPath(info.name)
            if not info.isfile() or name.is_absolute() or ".." in name.parts:
                raise BackupProblem(f"The backup holds an unexpected entry {info.name!r}; nothing was restored.")
            members[info.name] = archive.extractfile(info).read()
    if "manifest.json" not in members:
        raise BackupProblem("The backup has no manifest; nothing was restored.")
    return members


def _refuse_unless_empty(instance: Path, engine: str) -> None:
    taken = [p for p in (instance / "config.py", Path(str(current_app.config["KEYS_DIR"])),
                         Path(str(current_app.config["RELEASES_DIR"]))) if p.exists()]
    if taken:
        raise BackupProblem(f"The target instance {instance} is not empty ({', '.join(p.name for p in taken)} "
                            "exist): restore into a fresh instance folder; nothing was changed.")
    if engine == "sqlite":
        path = sqlite_file(str(db.engine.url))
        if path is not None and path.exists() and path.stat().st_size > 0:
            raise BackupProblem(f"The target database {path} exists: restore into a fresh instance; nothing was changed.")
        return
    with db.engine.connect() as connection:
        tables = connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")).scalar()
    if tables:
        raise BackupProblem(f"The target database is not empty ({tables} tables): restore into a new, empty database; "
                            "nothing was changed.")


def _stage(staging: Path, members: dict[str, bytes]) -> int:
    count = 0
    for name, data in members.items():
        if not name.startswith("instance/"):
            continue
        target = staging.joinpath(*PurePosixPath(name).parts[1:])
        ensure_private_dir(target.parent)
        write_private_file(target, data)
        count += 1
    os.chmod(staging, PRIVATE_DIR)
    return count


def _restore_database(engine: str, data: bytes) -> None:
    if engine == "postgresql":
        db.engine.dispose()  # no pooled connection of ours may hold the empty schema's locks
        _run_pg("pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", stdin=data)
        return
    path = sqlite_file(str(db.engine.url))
    db.engine.dispose()
    ensure_private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    write_private_file(temporary, data)
    os.replace(temporary, path)

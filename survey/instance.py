"""The instance configuration file (`<instance>/config.py`) and the port a node serves on.

`wir-survey init` writes the file once with random secrets, the port and the public URL; later
changes to the port or the URL rewrite only those lines, so the secrets are never regenerated.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import socket
from pathlib import Path

from cryptography.fernet import Fernet

from .files import PRIVATE_FILE, ensure_private_dir, write_private_file

DEFAULT_PORT = 5000


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def write_config(instance: Path, port: int = DEFAULT_PORT, public_url: str | None = None) -> bool:
    """Write `<instance>/config.py` with fresh random secrets unless it exists; True when written."""
    ensure_private_dir(instance)
    path = instance / "config.py"
    if path.exists():
        return False
    body = (
        "# wir-survey instance configuration, written by `wir-survey init`. Keep it secret and backed up:\n"
        "# TOKEN_PEPPER is needed to recognise issued codes; losing it makes every unused code invalid.\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"TOKEN_PEPPER = {secrets.token_hex(32)!r}\n"
        f"SESSION_KEY = {Fernet.generate_key().decode('ascii')!r}\n"
        "# Where this node listens, and the address people reach the survey at (codes' URLs start with it).\n"
        f"PORT = {int(port)!r}\n"
        f"PUBLIC_URL = {public_url or local_url(port)!r}\n"
    )
    write_private_file(path, body.encode("utf-8"))
    return True


def set_settings(instance: Path, **settings: object) -> None:
    """Rewrite (or add) simple `NAME = value` lines of the configuration, keeping everything else.

    The new text goes to a private temporary file that then replaces the old one, so a crash
    leaves either file whole."""
    path = instance / "config.py"
    text = path.read_text(encoding="utf-8")
    for name, value in settings.items():
        line = f"{name} = {value!r}"
        pattern = re.compile(rf"^{re.escape(name)}\s*=.*$", re.MULTILINE)
        text, found = pattern.subn(lambda _m: line, text)
        if not found:
            text = text.rstrip("\n") + "\n" + line + "\n"
    temporary = path.with_name(f".config.py.{secrets.token_hex(4)}")
    write_private_file(temporary, text.encode("utf-8"))
    os.replace(temporary, path)
    os.chmod(path, PRIVATE_FILE)


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on `host:port` already (a port left in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def free_port_after(host: str, port: int) -> int:
    """The next port above `port` that nothing listens on (a suggestion, not a reservation)."""
    candidate = port + 1
    while candidate < 65535 and port_in_use(host, candidate):
        candidate += 1
    return candidate

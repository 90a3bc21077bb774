"""Canonical JSON and its hash: what the GPR approves (G5).

The hash is taken of the parsed data, not the file's bytes, so comments and
layout can be tidied freely while any change of wording changes the hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> str:
    """One fixed JSON spelling of ``data``: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(canonical: str) -> str:
    """SHA-256 hex digest of the canonical JSON."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

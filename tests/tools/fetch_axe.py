"""Download axe-core (the accessibility rules engine the browser tests run) from the npm registry.

Pinned by version and by the registry's SHA-512 integrity hash, so a changed tarball is refused.
Usage: fetch_axe.py OUT  (writes axe.min.js; nothing is written when the check fails).
"""
from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="


def main(out: Path) -> None:
    with urllib.request.urlopen(URL, timeout=60) as response:
        tarball = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    if digest != INTEGRITY:
        sys.exit(f"{URL}: integrity {digest} differs from the pinned {INTEGRITY}; nothing written")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        script = archive.extractfile("package/axe.min.js").read()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(out)
    print(f"axe-core {VERSION} -> {out} ({len(script)} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

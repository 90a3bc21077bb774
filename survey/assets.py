"""Static files for phones on slow networks: the stylesheet inline, everything else fingerprinted.

On a slow 3G connection every request costs about two seconds of latency before its first byte, so
a respondent page must arrive as one request: its stylesheet (a few kilobytes) and the QR landing's
script (a dozen lines) are inlined, and the Content-Security-Policy allows exactly those two by their
SHA-256 (no 'unsafe-inline'). Other static files (the icon) carry a content hash in their address and
may be cached for a year: a changed file gets a new address.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, redirect, request, url_for

STATIC = Path(__file__).parent / "static"
STYLESHEET = "css/app.css"
LANDING_SCRIPT = "js/landing.js"
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=None)
def fingerprint(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """The file's address with its content hash, which makes it safe to cache for a year."""
    return url_for("static", filename=filename, v=fingerprint(filename))


@lru_cache(maxsize=None)
def inline(filename: str) -> str:
    """A static file's text, to be placed inside the page."""
    return (STATIC / filename).read_text(encoding="utf-8")


def inline_css() -> str:
    return inline(STYLESHEET)


def inline_landing_script() -> str:
    return inline(LANDING_SCRIPT)


@lru_cache(maxsize=None)
def csp_source(filename: str) -> str:
    """The CSP source that allows exactly this file's text inline, and nothing else."""
    digest = hashlib.sha256(inline(filename).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(static_url=static_url, inline_css=inline_css, inline_landing_script=inline_landing_script)

    @app.route("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico on their own; answer with the icon instead of a 404.
        return redirect(static_url("favicon.svg"), code=301)

    @app.after_request
    def _cache_fingerprinted(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200:
            filename = (request.view_args or {}).get("filename", "")
            version = request.args.get("v")
            if version and version == fingerprint(filename):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response

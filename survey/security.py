"""Security headers, set in one place for every response (house rule 10)."""
from __future__ import annotations

from flask import Flask, Response

HEADERS = {
    # Everything is served by the app itself: no CDN, no third-party requests, no inline script.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # A referrer could carry where the respondent came from; none is sent anywhere.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    @app.after_request
    def _set_headers(response: Response) -> Response:
        response.headers.extend(HEADERS)
        if not response.headers.get("Cache-Control") and response.mimetype == "text/html":
            # Pages may show answers in progress: never keep them in a shared cache or the back/forward cache.
            response.headers["Cache-Control"] = "no-store"
        return response

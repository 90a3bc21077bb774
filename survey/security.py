"""Security headers, set in one place for every response (house rule 10)."""
from __future__ import annotations

from flask import Flask, Response

from .assets import LANDING_SCRIPT, STYLESHEET, csp_source

HEADERS = {
    # Everything is served by the app itself: no CDN, no third-party requests. The one inline
    # stylesheet and the landing script are allowed by their hashes (survey.assets), so that a page
    # needs no second request; nothing else inline runs.
    "Content-Security-Policy": (
        f"default-src 'self'; script-src 'self' {csp_source(LANDING_SCRIPT)}; style-src 'self' {csp_source(STYLESHEET)}; "
        "img-src 'self' data:; "
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
    hsts = int(app.config.get("HSTS_SECONDS") or 0)

    @app.after_request
    def _set_headers(response: Response) -> Response:
        response.headers.extend(HEADERS)
        if hsts:
            # Browsers then refuse plain HTTP for the site (they ignore the header on HTTP itself).
            response.headers["Strict-Transport-Security"] = f"max-age={hsts}"
        if not response.headers.get("Cache-Control") and response.mimetype == "text/html":
            # Pages may show answers in progress: never keep them in a shared cache or the back/forward cache.
            response.headers["Cache-Control"] = "no-store"
        return response

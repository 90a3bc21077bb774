"""The last line against a failed request being recorded: nothing may escape the app to the server.

Flask hands a failing view to the respondent blueprint's error page, but an exception that escapes
the app itself (a failing teardown, for instance) reaches the WSGI server, and gunicorn writes it to
its error log with the request's URL and the time: a line that marks when someone was answering.
This middleware answers such a request with a plain "please try again" page instead, and records
nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .security import HEADERS

STATUS = "503 Service Unavailable"
#: Plain HTML in both interface languages: the app, its templates and its translations may be what failed.
BODY = (
    '<!doctype html><html lang="de"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Bitte noch einmal versuchen</title>'
    "<h1>Das hat gerade nicht geklappt</h1>"
    "<p>Bitte versuchen Sie es gleich noch einmal. Es wurde nichts gespeichert.</p>"
    '<p lang="en">That did not work just now. Please try again in a moment. Nothing was stored.</p>'
    "</html>"
).encode("utf-8")


class NoTraceOfFailures:
    """WSGI middleware: whatever the wrapped app raises becomes a plain 503, never a server log line.

    The app's status and headers are held back until it has returned, so that a failure after it
    started its response (in the teardown) can still replace that response cleanly."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started: list[tuple] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info=None):
            started[:] = [(status, headers)]
            return _write_unsupported

        try:
            body = self.app(environ, hold)
        except Exception:  # noqa: BLE001  (any failure: answered, not recorded)
            start_response(STATUS, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                    ("Content-Length", str(len(BODY))), *HEADERS.items()])
            return [BODY]
        start_response(*started[0])
        return body


def _write_unsupported(_data: bytes) -> None:
    raise RuntimeError("wir-survey answers with a body, never through WSGI's write()")

"""A client-side session that is encrypted as well as signed (Fernet, from pyca/cryptography).

Answers in progress live only on the respondent's device (DESIGN.md section 6): Flask's default
cookie is signed but readable, which would put half-finished answers in clear on a shared phone.
"""
from __future__ import annotations

import json
import time

from cryptography.fernet import Fernet, InvalidToken
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict


class EncryptedSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict | None = None, expired: bool = False) -> None:
        def on_update(self: EncryptedSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)
        self.modified = False
        self.accessed = False
        #: True when the device sent a session that had run out; views show a friendly page for it.
        self.expired = expired


class EncryptedCookieSessionInterface(SessionInterface):
    session_class = EncryptedSession

    def _fernet(self, app) -> Fernet:
        return Fernet(app.config["SESSION_KEY"])

    def open_session(self, app, request) -> EncryptedSession:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        fernet = self._fernet(app)
        try:
            issued = fernet.extract_timestamp(value.encode("ascii"))
            if time.time() - issued > app.config["SESSION_TTL_SECONDS"]:
                return self.session_class(expired=True)
            return self.session_class(json.loads(fernet.decrypt(value.encode("ascii"))))
        except (InvalidToken, UnicodeError, ValueError):
            # A cookie we cannot read is treated like none at all: the respondent starts again.
            return self.session_class()

    def save_session(self, app, session: EncryptedSession, response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified or session.expired:
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not self.should_set_cookie(app, session):
            return
        value = self._fernet(app).encrypt(json.dumps(dict(session), separators=(",", ":")).encode("utf-8"))
        response.set_cookie(
            name,
            value.decode("ascii"),
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            domain=domain,
            path=path,
        )

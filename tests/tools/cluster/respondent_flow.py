"""One respondent's whole flow over raw HTTP, with a cookie jar, as a browser runs it.

Each step is one request; the flow is a generator so that the clients can retry a step (same jar,
same form) on any live node and send it only the final reply.
"""
from __future__ import annotations

import http.client
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from .processes import HOST

COOKIE = "wir"
ANSWERED_QUESTIONS = 2
REQUEST_TIMEOUT = 30.0

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRST_PAGE = re.compile(r'href="(/q/\d+)"')
RADIO = re.compile(r'name="(q_[a-z0-9_]+)" type="(?:radio|checkbox)" value="([^"]+)"')
THANKS = "Vielen Dank!"
RECEIVED = "problem-received"


class FlowFailed(Exception):
    """A flow met an answer that no retry can change (never a code or a page text in the message)."""


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    form: dict[str, str] | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    location: str | None
    body: str
    cookies: tuple[str, ...] = ()  # the Set-Cookie headers, for the jar


@dataclass
class FlowRecord:
    completed: bool = False
    submit_attempts: int = 0
    submit_failures: int = 0  # attempts that met no connection, a reset, a timeout or a 5xx (not a lost reply)
    retried_steps: int = 0
    failure: str | None = None


def _path_of(location: str | None) -> str:
    if not location:
        raise FlowFailed("a redirect without Location")
    return "/" + location.split("://", 1)[1].split("/", 1)[1] if "://" in location else location


def _csrf(step: str, reply: Reply) -> str:
    match = CSRF.search(reply.body)
    if not match:
        raise FlowFailed(f"{step}: the page has no csrf_token")
    return match.group(1)


def _expect(step: str, reply: Reply, status: int) -> Reply:
    if reply.status != status:
        raise FlowFailed(f"{step}: HTTP {reply.status}, expected {status}")
    return reply


def flow(code: str) -> Generator[Step, Reply, None]:
    """The whole respondent flow; yields each request and is sent its final reply (after retries).

    The submit may end on the thank-you page (stored now, or dropped because an earlier attempt had
    committed) or on the "received" page; anything else is a failure."""
    r = _expect("GET /", (yield Step("start", "GET", "/")), 200)
    r = _expect("POST /", (yield Step("code", "POST", "/", {"code": code, "csrf_token": _csrf("GET /", r)})), 302)
    r = _expect("GET /welcome", (yield Step("welcome", "GET", _path_of(r.location))), 200)
    first = FIRST_PAGE.search(r.body)
    if not first:
        raise FlowFailed("the welcome page links no question page")
    url, answered = first.group(1), 0
    while url.startswith("/q/"):
        r = yield Step("page", "GET", url)
        if r.status == 302:
            url = _path_of(r.location)
            continue
        _expect("GET /q", r, 200)
        form = {"csrf_token": _csrf("GET /q", r), "next": "Weiter"}
        seen: set[str] = set()
        for name, value in RADIO.findall(r.body):
            if name not in seen and answered < ANSWERED_QUESTIONS:
                seen.add(name)
                form[name] = value
                answered += 1
        url = _path_of(_expect("POST /q", (yield Step("page", "POST", url, form)), 302).location)
    if url != "/review":
        raise FlowFailed("the pages did not lead to /review")
    r = _expect("GET /review", (yield Step("review", "GET", url)), 200)
    r = yield Step("submit", "POST", "/submit", {"csrf_token": _csrf("GET /review", r)})
    if r.status == 200 and RECEIVED in r.body:
        return
    if r.status != 302 or _path_of(r.location) != "/thanks":
        raise FlowFailed(f"POST /submit: HTTP {r.status}, not the way to the thank-you page")
    r = _expect("GET /thanks", (yield Step("thanks", "GET", "/thanks")), 200)
    if THANKS not in r.body:
        raise FlowFailed("GET /thanks: not the thank-you page")


def update_jar(jar: dict[str, str], set_cookies: list[str]) -> None:
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        if name.strip() != COOKIE:
            continue
        lowered = header.lower()
        if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            jar.pop(COOKIE, None)
        else:
            jar[COOKIE] = value


def request(port: int, step: Step, jar: Mapping[str, str]) -> Reply:
    headers = {"Accept-Language": "de", "User-Agent": "wir-faults"}
    if COOKIE in jar:
        headers["Cookie"] = f"{COOKIE}={jar[COOKIE]}"
    body = None
    if step.form is not None:
        body = urlencode(step.form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(step.method, step.path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Reply(response.status, response.getheader("Location"), text,
                     tuple(response.headers.get_all("Set-Cookie") or ()))
    finally:
        conn.close()

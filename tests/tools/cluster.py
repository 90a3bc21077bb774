"""A small cluster of real gunicorn nodes under load, with faults injected, for tests/survey/test_faults.py.

Everything is real: the instance is set up with the `wir-survey` commands, the nodes are gunicorn
processes started as in production, the clients speak raw HTTP with a cookie jar like a browser,
and an operator's `pool flush` runs as its own process (tests/tools/flush_midway.py). The faults are
SIGKILLs of a node's whole process group, PostgreSQL's pg_terminate_backend on every connection,
a SIGKILL of a flush that has written its batch but not committed it, and a few submit replies
lost on their way back after the answer was committed (the client retries, as after any failure).

Nothing here prints or keeps a code beyond the memory of the test, nor any per-respondent time:
the counts that come out are aggregates.
"""
from __future__ import annotations

import csv
import http.client
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
QUESTIONNAIRE = "migration-background"
PASSPHRASE = "fault harness passphrase - throwaway"
COOKIE = "wir"
ANSWERED_QUESTIONS = 2

#: A step that fails (no connection, a reset, a timeout, a 5xx) is tried again after a pause, on any
#: live node, until this many attempts or seconds: generous, so that only a defect exhausts it.
STEP_ATTEMPTS = 200
STEP_SECONDS = 90.0
RETRY_PAUSE = 0.1
#: A pause before each step, as a person reads the page: it leaves the machine's two cores room to boot a
#: restarted node while the load goes on (unpaced, the clients alone would keep both busy).
THINK_SECONDS = 0.05
REQUEST_TIMEOUT = 30.0
#: A submit's reply lost on the way back after the answer was committed (the client's network failed):
#: every LOST_REPLY_EVERY-th answered submit, LOST_REPLIES times. The retry must find the code used.
LOST_REPLY_EVERY = 10
LOST_REPLIES = 3
#: Bounds for the harness's own waits.
BOOT_SECONDS = 90.0
MARKER_SECONDS = 30.0

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRST_PAGE = re.compile(r'href="(/q/\d+)"')
RADIO = re.compile(r'name="(q_[a-z0-9_]+)" type="(?:radio|checkbox)" value="([^"]+)"')
THANKS = "Vielen Dank!"
RECEIVED = "problem-received"


# --- the instance, set up with the real commands ---------------------------------------------------

@dataclass
class Instance:
    folder: Path
    database_url: str | None
    codes: list[str] = field(repr=False)  # never shown, not even in a failing test's report
    digests: dict[str, bytes] = field(repr=False)

    @property
    def env(self) -> dict[str, str]:
        """The environment of a node or a flush: this instance and database, nothing else of ours."""
        env = {k: v for k, v in os.environ.items() if k not in ("WIR_SURVEY_DATABASE_URL", "WIR_SURVEY_PASSPHRASE",
                                                                  "GUNICORN_CMD_ARGS")}
        env["WIR_SURVEY_INSTANCE"] = str(self.folder)
        if self.database_url:
            env["WIR_SURVEY_DATABASE_URL"] = self.database_url
        return env


@contextmanager
def app_for(instance_folder: Path, database_url: str | None, passphrase: bool = False) -> Iterator:
    """The app as the `wir-survey` command builds it from the environment; its connections closed after."""
    from survey import create_app
    from survey.extensions import db

    values = {"WIR_SURVEY_INSTANCE": str(instance_folder)}
    if passphrase:
        values["WIR_SURVEY_PASSPHRASE"] = PASSPHRASE
    with mock.patch.dict(os.environ, values):
        os.environ.pop("GUNICORN_CMD_ARGS", None)
        os.environ.pop("WIR_SURVEY_DATABASE_URL", None)
        if not passphrase:
            os.environ.pop("WIR_SURVEY_PASSPHRASE", None)
        if database_url:
            os.environ["WIR_SURVEY_DATABASE_URL"] = database_url
        app = create_app()
        try:
            # Commands run in this context and leave their connections to the pool, closed below. (Run
            # outside one, a command disposes the engine while its session still holds a connection,
            # which then stays open until garbage collection: a ResourceWarning, an error under pytest.)
            with app.app_context():
                yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _run(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    if result.exit_code != 0:
        raise RuntimeError(f"wir-survey {args[0]} failed ({result.exit_code}): {result.output[-800:]}")
    return result.output


def make_instance(tmp: Path, database_url: str | None, codes: int, threshold: int) -> Instance:
    """`wir-survey init`, `keys create`, `waves create`, the council's approval, `waves open` and
    `tokens issue` into a CSV, as an operator runs them; POOL_FLUSH_THRESHOLD goes into config.py
    before the council approves (the batch size is part of what it approves).

    The commands run in this process on one app (a new process would spend seconds importing); the
    approval is given in-process as the other tests do, since `waves approve` wants a councillor's login."""
    from survey.council.operations import decide
    from survey.tokens import canonical, digest

    folder = tmp / "instance"
    strata = tmp / "strata.csv"
    strata.write_text(f"group,headcount\nmedium,{max(codes, 20)}\n", encoding="utf-8")
    out = tmp / "codes.csv"
    with app_for(folder, database_url) as app:
        _run(app.test_cli_runner(), "init")
    with (folder / "config.py").open("a", encoding="utf-8") as fh:  # before the council approves it
        fh.write(f"POOL_FLUSH_THRESHOLD = {threshold}\n")
    with app_for(folder, database_url, passphrase=True) as app:
        runner = app.test_cli_runner()
        _run(runner, "keys", "create")
        wave = _run(runner, "waves", "create", QUESTIONNAIRE, "--name", "Fault wave", "--strata", str(strata))
        wave_id = int(wave.strip().splitlines()[-1])
        with app.app_context():
            decide(wave_id, "test council", approve=True)
        _run(runner, "waves", "open", str(wave_id))
        _run(runner, "tokens", "issue", str(wave_id), "--stratum", "group=medium", "--count", str(codes),
             "--out", str(out))
        pepper = bytes.fromhex(app.config["TOKEN_PEPPER"])
    with out.open(encoding="utf-8") as fh:
        issued = [row["token"] for row in csv.DictReader(fh)]
    out.unlink()  # printed codes are not kept on disk
    return Instance(folder, database_url, issued, {code: digest(canonical(code), pepper) for code in issued})


# --- processes: gunicorn nodes and the flush ---------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group we started (its own session), then reap the leader."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


class Node:
    """One gunicorn server on a fixed port; killed with its workers, restarted on the same port."""

    def __init__(self, name: str, instance: Instance, workers: int, logs: Path) -> None:
        self.name, self.instance, self.workers = name, instance, workers
        self.port = free_port()
        self.log_path = logs / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.live = threading.Event()
        self.boot_error: str | None = None

    def start(self) -> None:
        """Start gunicorn and mark the node live once it answers (in the background, bounded)."""
        command = [str(BIN / "gunicorn"), "-c", "python:survey.gunicorn_conf", "--bind", f"{HOST}:{self.port}",
                   "--workers", str(self.workers), "survey:create_app()"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, env=self.instance.env, cwd=ROOT, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._await_boot, args=(self.proc,), daemon=True).start()

    def _await_boot(self, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                try:
                    conn.request("GET", "/")
                    if conn.getresponse().status == 200:
                        if proc is self.proc:
                            self.live.set()
                        return
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        self.boot_error = f"node {self.name} did not answer within {BOOT_SECONDS:.0f} s: {self.log_tail()}"

    def wait_live(self) -> None:
        """Block until the node answers (bounded): a restarted node is counted on only then."""
        if not self.live.wait(BOOT_SECONDS + 5):
            raise AssertionError(self.boot_error or f"node {self.name} never came up")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, as a crash of the machine's process would."""
        self.live.clear()
        assert self.proc is not None
        _kill_group(self.proc)

    def terminate(self) -> None:
        """Ask gunicorn to stop for good (SIGTERM: it stops its workers); `stop` waits for it."""
        self.live.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def wait_stopped(self) -> None:
        """Wait for a terminated node (the master exits after its workers); SIGKILL the group if it hangs."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-1500:]
        except OSError:
            return ""


class FlushProcess:
    """tests/tools/flush_midway.py: loads the app once, then forks a flush on request, held until killed."""

    def __init__(self, instance: Instance, logs: Path) -> None:
        self.log_path = logs / "flush.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "tools" / "flush_midway.py")],
                                         env=instance.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready = False

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("EOF")

    def _next(self, seconds: float) -> str:
        try:
            return self.lines.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"the flush process said nothing for {seconds:.0f} s: "
                                 f"{self.log_path.read_text(errors='replace')[-800:]}") from None

    def hold(self, attempts: int = 40, pause: float = 0.25) -> tuple[int, int] | None:
        """Ask for flushes until one holds a written batch: (its pid, its backend pid or 0); None if none did."""
        if not self.ready:
            line = self._next(BOOT_SECONDS)
            if line != "READY":
                raise AssertionError(f"the flush process did not start: {line} {self.log_path.read_text()[-800:]}")
            self.ready = True
        for _ in range(attempts):
            self.proc.stdin.write("flush\n")
            self.proc.stdin.flush()
            line = self._next(MARKER_SECONDS)
            if line.startswith("HOLDING"):
                _, pid, backend = line.split()
                return int(pid), int(backend)
            if line != "EMPTY" and not line.startswith("ERROR"):
                raise AssertionError(f"unexpected answer from the flush process: {line}")
            time.sleep(pause)
        return None

    @staticmethod
    def kill_flush(pid: int) -> None:
        """SIGKILL the held flush (a child of the script, which reaps it and waits for the next request)."""
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        _kill_group(self.proc)
        self.reader.join(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


# --- the respondent flow, over raw HTTP with retries ---------------------------------------------------

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


def _update_jar(jar: dict[str, str], set_cookies: list[str]) -> None:
    for header in set_cookies:
        name, _, value = header.split(";", 1)[0].partition("=")
        if name.strip() != COOKIE:
            continue
        lowered = header.lower()
        if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            jar.pop(COOKIE, None)
        else:
            jar[COOKIE] = value


def _request(port: int, step: Step, jar: Mapping[str, str]) -> Reply:
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


# --- the cluster: nodes, load and faults ---------------------------------------------------------------

@dataclass
class Faults:
    """What landed: only faults that really hit count (a flush kill only after its marker was seen)."""

    node_kills: int = 0
    connection_drops: int = 0
    backends_dropped: int = 0
    flush_kills: int = 0
    flush_attempts_empty: int = 0
    replies_lost: int = 0


@dataclass
class Cluster:
    instance: Instance
    nodes: list[Node]
    logs: Path
    faults: Faults = field(default_factory=Faults)
    records: list[FlowRecord] = field(default_factory=list)
    completed_codes: set[str] = field(default_factory=set, repr=False)
    unfinished_codes: set[str] = field(default_factory=set, repr=False)
    flush_process: FlushProcess | None = None
    before_audit: Callable[[], None] = lambda: None  # e.g. the server setting the audit needs, asserted again

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._codes = list(self.instance.codes)
        self._stopping = threading.Event()  # no new flows
        self._shutdown = threading.Event()  # no more requests at all: the cluster is being torn down
        self._clients: list[threading.Thread] = []
        self._in_flight: dict[int, tuple[int, float]] = {}  # submit request id -> (node index, start)
        self._request_ids = iter(range(1 << 62))
        self.client_errors: list[str] = []
        self.failed_requests: Counter[str] = Counter()  # requests that were retried, by what they met
        self._submits_answered = 0
        self._t0 = time.monotonic()

    def trace(self, event: str) -> None:
        """With WIR_FAULTS_TRACE set, a line per harness event: seconds since start, flows done so far."""
        if os.environ.get("WIR_FAULTS_TRACE"):
            print(f"  [{time.monotonic() - self._t0:5.1f} s, {len(self.records)} flows] {event}", flush=True)

    # nodes

    def start_nodes(self) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_live()

    def wait_live(self, index: int) -> None:
        """Until node `index` answers again (bounded): a restarted node is counted on only then."""
        self.nodes[index].wait_live()
        self.trace(f"node {index} live")

    def stop_nodes(self) -> None:
        """Stop every node for good, all at once."""
        for node in self.nodes:
            node.terminate()
        for node in self.nodes:
            node.wait_stopped()

    def _pick(self, deadline: float) -> tuple[int, Node]:
        """A random live node; waits while none is (a lone node restarting), up to `deadline`."""
        while True:
            if self._shutdown.is_set():
                raise FlowFailed("the cluster was torn down")
            live = [(i, n) for i, n in enumerate(self.nodes) if n.live.is_set()]
            if live:
                return random.choice(live)
            if time.monotonic() >= deadline:
                raise FlowFailed("no node was live")
            time.sleep(0.05)

    # load

    def start_load(self, clients: int) -> None:
        """`clients` threads, each running whole flows with fresh codes until `stop_load`."""
        for _ in range(clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._clients.append(thread)
        self.trace("load started")

    def stop_load(self, seconds: float = 120.0) -> None:
        """No new flows; the ones under way finish (with their retries), within `seconds`."""
        self._stopping.set()
        deadline = time.monotonic() + seconds
        for thread in self._clients:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in self._clients)
        self.trace("load stopped")
        if stuck:
            raise AssertionError(f"{stuck} clients did not finish their flow within {seconds:.0f} s")

    def _next_code(self) -> str | None:
        with self._lock:
            if self._stopping.is_set() or not self._codes:
                return None
            return self._codes.pop()

    def _client(self) -> None:
        try:
            while (code := self._next_code()) is not None:
                record = self._run_flow(code)
                with self._lock:
                    self.records.append(record)
                    (self.completed_codes if record.completed else self.unfinished_codes).add(code)
        except Exception as exc:  # noqa: BLE001  (a bug in the harness itself: reported by the test)
            self.client_errors.append(type(exc).__name__)  # the type only: a message might hold a code

    def _run_flow(self, code: str) -> FlowRecord:
        record, jar, steps = FlowRecord(), {}, flow(code)
        try:
            step = next(steps)
            while True:
                time.sleep(THINK_SECONDS)
                step = steps.send(self._perform(step, jar, record))
        except StopIteration:
            record.completed = True
        except FlowFailed as exc:
            record.failure = str(exc)
        return record

    def _perform(self, step: Step, jar: dict[str, str], record: FlowRecord) -> Reply:
        """One step, retried on any connection failure or 5xx against any live node (same jar, same form)."""
        deadline = time.monotonic() + STEP_SECONDS
        for attempt in range(1, STEP_ATTEMPTS + 1):
            index, node = self._pick(deadline)
            if step.name == "submit":
                record.submit_attempts += 1
                request_id = next(self._request_ids)
                with self._lock:
                    self._in_flight[request_id] = (index, time.monotonic())
            try:
                reply = _request(node.port, step, jar)
            except (OSError, http.client.HTTPException):
                reply = None
            finally:
                if step.name == "submit":
                    with self._lock:
                        del self._in_flight[request_id]
            if reply is not None and step.name == "submit" and reply.status == 302 and self._lose_reply():
                with self._lock:
                    self.failed_requests["reply lost"] += 1
            elif reply is not None and reply.status < 500:
                _update_jar(jar, list(reply.cookies))  # as a browser does
                record.retried_steps += attempt > 1
                return reply
            else:
                if reply is not None:
                    _update_jar(jar, list(reply.cookies))  # error pages too
                record.submit_failures += step.name == "submit"
                with self._lock:
                    self.failed_requests["connection" if reply is None else f"HTTP {reply.status}"] += 1
            if time.monotonic() >= deadline:
                break
            time.sleep(RETRY_PAUSE)
        raise FlowFailed(f"{step.name}: no answer below 500 after {attempt} attempts")

    def _lose_reply(self) -> bool:
        """Whether this successful submit's reply is lost on its way back (every LOST_REPLY_EVERY-th, at
        most `faults.replies_lost` times): the answer is committed, the client does not know, and retries."""
        with self._lock:
            self._submits_answered += 1
            if self._submits_answered % LOST_REPLY_EVERY or self.faults.replies_lost >= LOST_REPLIES:
                return False
            self.faults.replies_lost += 1
            return True

    def wait_for_submit(self, node: int, waited: float, seconds: float = 10.0) -> bool:
        """Whether a submit to `node` has been unanswered for `waited` seconds, waiting up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            now = time.monotonic()
            with self._lock:
                if any(i == node and now - started >= waited for i, started in self._in_flight.values()):
                    return True
            time.sleep(0.02)
        return False

    # faults

    def kill_node(self, index: int, blocked: bool = False) -> None:
        """SIGKILL node `index` with its workers while a submit is on its way to it, then restart it.

        `blocked`: while a flush holds its lock, wait for a submit that has waited for it a while (it
        cannot have committed: its retry must store the answer)."""
        self.wait_for_submit(index, 0.3 if blocked else 0.0)
        self.nodes[index].kill()
        self.faults.node_kills += 1
        self.trace(f"node {index} killed")
        time.sleep(0.3)
        self.nodes[index].start()

    def drop_connections(self, spare: int = 0) -> int:
        """pg_terminate_backend on every connection to the database but ours (and `spare`'s)."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        assert self.instance.database_url
        engine = create_engine(self.instance.database_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                dropped = connection.execute(text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid() AND pid <> :spare"),
                    {"db": make_url(self.instance.database_url).database, "spare": spare}).scalar()
        finally:
            engine.dispose()
        self.trace(f"{dropped} connections dropped")
        if dropped:
            self.faults.connection_drops += 1
            self.faults.backends_dropped += dropped
        return dropped

    def submits_waiting_on_locks(self, seconds: float = 10.0) -> bool:
        """Whether a backend of the database waits for a lock (a submit behind a held flush), up to `seconds`."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        engine = create_engine(self.instance.database_url, isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + seconds
        try:
            with engine.connect() as connection:
                while time.monotonic() < deadline:
                    if connection.execute(text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
                            {"db": make_url(self.instance.database_url).database}).scalar():
                        return True
                    time.sleep(0.02)
        finally:
            engine.dispose()
        return False

    def start_flush_process(self) -> None:
        """Start the flush script now: it loads the app while the nodes boot."""
        self.flush_process = FlushProcess(self.instance, self.logs)

    def kill_flush_midway(self, meanwhile: Callable[[int], None] | None = None) -> bool:
        """Let a flush run until it holds a written batch, run `meanwhile(backend)`, then SIGKILL it.

        Counted only when the marker was seen. While it holds, submits of the wave wait: kill promptly."""
        held = self.flush_process.hold()
        self.trace(f"flush holding: {held is not None}")
        if held is None:
            self.faults.flush_attempts_empty += 1
            return False
        pid, backend = held
        try:
            if meanwhile is not None:
                meanwhile(backend)
        finally:
            self.flush_process.kill_flush(pid)
            self.trace("flush killed")
        self.faults.flush_kills += 1
        return True

    def cleanup(self) -> None:
        """Leave no process behind, whatever happened (a fixture finalizer calls this)."""
        self._stopping.set()
        self._shutdown.set()
        if self.flush_process is not None:
            self.flush_process.stop()
        self.stop_nodes()
        for thread in self._clients:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    # results

    def summary(self) -> dict[str, int]:
        submitted = [r for r in self.records if r.submit_attempts]
        return {
            "submit_attempts": sum(r.submit_attempts for r in submitted),
            "submits_failed": sum(r.submit_failures > 0 for r in submitted),
            "flows": len(self.records),
            "completed": sum(r.completed for r in self.records),
            "submits": len(submitted),
            "submits_retried": sum(r.submit_attempts > 1 for r in submitted),
            "flows_retried": sum(r.retried_steps > 0 for r in self.records),
            "failed": sum(not r.completed for r in self.records),
        }

    def log_lines(self) -> int:
        """Lines the nodes and the flush wrote to their logs (the app writes none; gunicorn only errors)."""
        paths = [node.log_path for node in self.nodes]
        if self.flush_process is not None:
            paths.append(self.flush_process.log_path)
        return sum(len(path.read_text(errors="replace").splitlines()) for path in paths if path.exists())

    def failures(self) -> list[str]:
        """Why flows failed, without codes: step and status only."""
        return sorted({r.failure for r in self.records if r.failure})


# --- reconciliation ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    used: set[bytes] = field(repr=False)
    unused: int
    waiting: int
    stored: int
    first: int  # submits that stored their answers, by the wave's submit counts
    repeated: int  # submits whose code had answered already: here, retries whose first attempt had committed


def read_database(instance: Instance) -> Stored:
    """Used codes, answers waiting in the pool and rows in `responses`, read directly (all nodes stopped)."""
    from sqlalchemy import create_engine, text

    from survey.pool import unpack

    url = instance.database_url or f"sqlite:///{instance.folder / 'wir-survey.sqlite'}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            used = {bytes(d) for d in connection.execute(text("SELECT digest FROM tokens WHERE used")).scalars()}
            unused = connection.execute(text("SELECT count(*) FROM tokens WHERE NOT used")).scalar()
            waiting = sum(len(unpack(bytes(v))) for v in connection.execute(text("SELECT entries FROM pool")).scalars())
            stored = connection.execute(text("SELECT count(*) FROM responses")).scalar()
            first, repeated = connection.execute(text(
                "SELECT coalesce(sum(first), 0), coalesce(sum(repeated), 0) FROM submit_counts")).one()
    finally:
        engine.dispose()
    return Stored(used, unused, waiting, stored, int(first), int(repeated))


def audit(instance: Instance) -> dict:
    """`wir-survey audit --json --passphrase`: every check, and every stored and waiting answer opened."""
    with app_for(instance.folder, instance.database_url, passphrase=True) as app:
        result = app.test_cli_runner().invoke(args=["audit", "--json", "--passphrase"])
    try:
        report = json.loads(result.output)
    except json.JSONDecodeError:
        raise AssertionError(f"audit output is not JSON (exit {result.exit_code}): {result.output[-800:]}") from None
    report["exit_code"] = result.exit_code
    return report

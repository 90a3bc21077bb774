"""Throughput and latency of whole respondent flows against a real gunicorn server.

Run from the repository root:  .venv/bin/python bench/bench_flow.py [options]

It builds a throwaway instance in a temporary folder (SQLite, fresh keys, one open wave of
`migration-background`, enough codes), starts gunicorn on a free port of 127.0.0.1 with the
shipped `survey.gunicorn_conf` (plus any --workers/--worker-class/--threads given here), and for
each concurrency level runs complete flows, each with a fresh code and its own cookie jar:

    GET / -> POST / (code) -> GET /welcome -> GET+POST /q/N ... -> GET /review -> POST /submit -> GET /thanks

Two questions are answered, the rest skipped. A flow counts as completed only when /thanks
answers 200; anything else is a failure. Afterwards `wir-survey audit --json` must pass and its
counts must reconcile (issued >= used == pooled + stored, used == completed flows).

Options: --levels 1,10,50  --duration 15  --max-flows 4000  --client asyncio|threads
         --workers N  --worker-class sync|gthread  --threads N   (passed to gunicorn)
         --profile N   (no server: N flows in-process under cProfile, prints the hot spots)
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
QUESTIONNAIRE = "migration-background"
PASSPHRASE = "bench passphrase - throwaway"
COOKIE = "wir"
ANSWERED_QUESTIONS = 2
REQUEST_TIMEOUT = 120  # seconds; a request that takes longer fails its flow instead of hanging the bench

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FIRST_PAGE = re.compile(r'href="(/q/\d+)"')
RADIO = re.compile(r'name="(q_[a-z0-9_]+)" type="(?:radio|checkbox)" value="([^"]+)"')


class FlowFailed(Exception):
    pass


# --- the flow, independent of the transport ----------------------------------------------------
#
# `flow(code)` is a generator: it yields (step, method, path, form-or-None) and is sent back
# (status, location, body-text). Drivers below run it over asyncio streams, http.client threads or
# Flask's test client. It raises FlowFailed with a reason on anything unexpected.

def _path_of(location: str | None) -> str:
    if not location:
        raise FlowFailed("redirect without Location")
    if "://" in location:
        location = "/" + location.split("://", 1)[1].split("/", 1)[1]
    return location


def _csrf(step: str, body: str) -> str:
    match = CSRF.search(body)
    if not match:
        raise FlowFailed(f"{step}: page has no csrf_token")
    return match.group(1)


def _expect(step: str, response, status: int):
    if response[0] != status:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response[2]))[:160].strip()
        raise FlowFailed(f"{step}: HTTP {response[0]} (expected {status}) {snippet!r}")
    return response


def flow(code: str):
    r = _expect("GET /", (yield ("start", "GET", "/", None)), 200)
    r = _expect("POST / code", (yield ("code", "POST", "/", {"code": code, "csrf_token": _csrf("GET /", r[2])})), 302)
    url = _path_of(r[1])
    r = _expect(f"GET {url}", (yield ("welcome", "GET", url, None)), 200)
    first = FIRST_PAGE.search(r[2])
    if not first:
        raise FlowFailed("welcome page links no question page")
    url, answered = first.group(1), 0
    while url.startswith("/q/"):
        r = yield ("page_get", "GET", url, None)
        if r[0] == 302:
            url = _path_of(r[1])
            continue
        _expect(f"GET {url}", r, 200)
        form = {"csrf_token": _csrf(f"GET {url}", r[2]), "next": "Weiter"}
        seen: set[str] = set()
        for name, value in RADIO.findall(r[2]):  # the first option of the first questions, the rest skipped
            if name not in seen and answered < ANSWERED_QUESTIONS:
                seen.add(name)
                form[name] = value
                answered += 1
        r = _expect(f"POST {url}", (yield ("page_post", "POST", url, form)), 302)
        url = _path_of(r[1])
    if url != "/review":
        raise FlowFailed(f"after the pages the flow went to {url}, not /review")
    r = _expect("GET /review", (yield ("review", "GET", url, None)), 200)
    r = _expect("POST /submit", (yield ("submit", "POST", "/submit", {"csrf_token": _csrf("GET /review", r[2])})), 302)
    url = _path_of(r[1])
    if url != "/thanks":
        raise FlowFailed(f"submit redirected to {url}, not /thanks")
    _expect("GET /thanks", (yield ("thanks", "GET", url, None)), 200)


# --- results -----------------------------------------------------------------------------------

class Results:
    def __init__(self, codes: list[str], max_flows: int, deadline: float) -> None:
        self.codes = codes
        self.max_flows = max_flows
        self.deadline = deadline
        self.started = 0
        self.flow_ms: list[float] = []
        self.step_ms: dict[str, list[float]] = defaultdict(list)
        self.failed = 0
        self.first_failure: str | None = None
        self.lock = threading.Lock()

    def next_code(self) -> str | None:
        with self.lock:
            if self.started >= self.max_flows or time.perf_counter() >= self.deadline or not self.codes:
                return None
            self.started += 1
            return self.codes.pop()

    def done(self, ok: bool, ms: float, steps: list[tuple[str, float]], reason: str | None = None) -> None:
        with self.lock:
            for step, step_ms in steps:
                self.step_ms[step].append(step_ms)
            if ok:
                self.flow_ms.append(ms)
            else:
                self.failed += 1
                if self.first_failure is None:
                    self.first_failure = reason


def parse_head(head: bytes) -> tuple[int, dict[str, str], list[str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            cookies.append(value)
        else:
            headers[name] = value
    return status, headers, cookies


def update_jar(jar: dict[str, str], set_cookies: list[str]) -> None:
    for header in set_cookies:
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if name.strip() != COOKIE:
            continue
        lowered = header.lower()
        if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
            jar.pop(COOKIE, None)
        else:
            jar[COOKIE] = value


def encode_request(method: str, path: str, form: dict | None, jar: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Accept-Language: de", "User-Agent: wir-bench"]
    if COOKIE in jar:
        lines.append(f"Cookie: {COOKIE}={jar[COOKIE]}")
    body = b""
    if form is not None:
        body = urlencode(form).encode("ascii")
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- driver 1: asyncio streams, one connection (keep-alive where the server allows) per client -----

class AsyncConnection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, dict[str, str], list[str], bytes]:
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                # A kept-alive connection the server closed while idle: reconnect once, nothing was read.
                await self.close()
                if reused and attempt == 0 and not getattr(exc, "partial", b""):
                    continue
                raise
            break
        status, headers, cookies = parse_head(head[:-4])
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, cookies, body


async def async_flow(conns: dict[int, AsyncConnection], nodes: Iterator[int], code: str, results: Results) -> None:
    """One whole flow; each request goes to the next node of `nodes`, as a load balancer without sticky
    sessions would send it (the session is in the cookie, so any node must do)."""
    jar: dict[str, str] = {}
    steps: list[tuple[str, float]] = []
    gen = flow(code)
    t0 = time.perf_counter()
    conn = None
    try:
        step, method, path, form = next(gen)
        while True:
            conn = conns[next(nodes)]
            s0 = time.perf_counter()
            async with asyncio.timeout(REQUEST_TIMEOUT):
                status, headers, cookies, body = await conn.request(encode_request(method, path, form, jar))
            steps.append((step, (time.perf_counter() - s0) * 1000))
            update_jar(jar, cookies)
            step, method, path, form = gen.send((status, headers.get("location"), body.decode("utf-8", "replace")))
    except StopIteration:
        results.done(True, (time.perf_counter() - t0) * 1000, steps)
    except FlowFailed as exc:
        results.done(False, 0, steps, str(exc))
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:  # TimeoutError is an OSError
        if conn is not None:
            await conn.close()
        results.done(False, 0, steps, f"{type(exc).__name__}: {exc}")


def connections(ports: list[int]) -> dict[int, AsyncConnection]:
    return {port: AsyncConnection(port) for port in ports}


async def close_all(conns: dict[int, AsyncConnection]) -> None:
    for conn in conns.values():
        await conn.close()


async def _async_client(ports: list[int], nodes: Iterator[int], results: Results) -> None:
    conns = connections(ports)
    try:
        while (code := results.next_code()) is not None:
            await async_flow(conns, nodes, code, results)
    finally:
        await close_all(conns)


def run_asyncio(ports: int | list[int], clients: int, results: Results) -> None:
    """`clients` closed-loop clients; with several ports, requests go round-robin over them."""
    ports = [ports] if isinstance(ports, int) else list(ports)
    nodes = itertools.cycle(ports)  # one rotation for all clients, like a load balancer's

    async def main() -> None:
        await asyncio.gather(*(_async_client(ports, nodes, results) for _ in range(clients)))

    asyncio.run(main())


# --- driver 2: http.client, one thread and one connection per client ------------------------------

def _thread_client(port: int, results: Results) -> None:
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        while (code := results.next_code()) is not None:
            jar: dict[str, str] = {}
            steps: list[tuple[str, float]] = []
            gen = flow(code)
            t0 = time.perf_counter()
            try:
                step, method, path, form = next(gen)
                while True:
                    headers = {"Accept-Language": "de", "User-Agent": "wir-bench"}
                    if COOKIE in jar:
                        headers["Cookie"] = f"{COOKIE}={jar[COOKIE]}"
                    body = None
                    if form is not None:
                        body = urlencode(form)
                        headers["Content-Type"] = "application/x-www-form-urlencoded"
                    s0 = time.perf_counter()
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    text = response.read().decode("utf-8", "replace")
                    steps.append((step, (time.perf_counter() - s0) * 1000))
                    update_jar(jar, response.headers.get_all("Set-Cookie") or [])
                    step, method, path, form = gen.send((response.status, response.getheader("Location"), text))
            except StopIteration:
                results.done(True, (time.perf_counter() - t0) * 1000, steps)
            except FlowFailed as exc:
                results.done(False, 0, steps, str(exc))
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                results.done(False, 0, steps, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def run_threads(port: int, clients: int, results: Results) -> None:
    threads = [threading.Thread(target=_thread_client, args=(port, results), daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# --- CPU accounting from /proc ---------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from `state` on: index 0 = field 3


def server_cpu_seconds(master: int) -> float:
    """CPU of the gunicorn master and its workers, including workers that already exited (cutime)."""
    fields = stat_fields(master)
    if fields is None:
        return 0.0
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            f = stat_fields(int(entry.name))
            if f is not None and int(f[1]) == master:
                total += int(f[11]) + int(f[12])
    return total / TICK


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- instance and server -------------------------------------------------------------------------

def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "wir-survey"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise SystemExit(f"wir-survey {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def approve(env: dict[str, str], wave: str) -> None:
    """Approve the bench wave's configuration the way the test fixtures do; a bench has no councillor."""
    script = ("from survey import create_app; from survey.council.operations import decide; "
              f"app = create_app(); app.app_context().push(); decide({int(wave)}, 'bench council', approve=True)")
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=120)


def make_wave(tmp: Path, headcount: int, database_url: str | None = None) -> tuple[dict[str, str], str]:
    """A fresh instance with one open, approved wave; SQLite in `tmp` unless `database_url` names another database."""
    env = dict(os.environ, WIR_SURVEY_INSTANCE=str(tmp / "instance"), WIR_SURVEY_PASSPHRASE=PASSPHRASE)
    if database_url:
        env["WIR_SURVEY_DATABASE_URL"] = database_url
    else:
        env.pop("WIR_SURVEY_DATABASE_URL", None)
    cli(env, "init")
    cli(env, "keys", "create")
    strata = tmp / "strata.csv"
    strata.write_text(f"group,headcount\nmedium,{max(headcount, 20)}\n", encoding="utf-8")
    wave = cli(env, "waves", "create", QUESTIONNAIRE, "--name", "Bench wave", "--strata", str(strata)).stdout.strip().splitlines()[-1]
    approve(env, wave)  # the staff council's approval (G5), given in-process as the tests do
    cli(env, "waves", "open", wave)
    return env, wave


def issue_codes(env: dict[str, str], wave: str, count: int, tmp: Path) -> list[str]:
    """Issue `count` codes as CSV, read them and delete the file at once (it holds codes)."""
    out = tmp / "codes.csv"
    try:
        cli(env, "tokens", "issue", wave, "--stratum", "group=medium", "--count", str(count), "--out", str(out))
        with out.open(encoding="utf-8") as fh:
            return [row["token"] for row in csv.DictReader(fh)]
    finally:
        out.unlink(missing_ok=True)


def make_instance(tmp: Path, codes: int, database_url: str | None = None) -> tuple[dict[str, str], list[str]]:
    env, wave = make_wave(tmp, codes, database_url)
    return env, issue_codes(env, wave, codes, tmp)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_args(args) -> list[str]:
    extra = []
    if args.workers:
        extra += ["--workers", str(args.workers)]
    if args.worker_class:
        extra += ["--worker-class", args.worker_class]
    if args.threads:
        extra += ["--threads", str(args.threads)]
    return extra


def start_server(env: dict[str, str], port: int, extra: list[str], log: Path) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "-c", "python:survey.gunicorn_conf", "--bind", f"{HOST}:{port}", *extra,
               "survey:create_app()"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        _wait_until_serving(proc, port, log)
    except BaseException:  # Ctrl-C included: its own session means nobody else would stop it
        stop_server(proc)
        raise
    return proc


def _wait_until_serving(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, 9)  # its own session: only the gunicorn we started
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def wait_quiet(limit: float) -> None:
    """Wait (at most `limit` s) until other processes leave the CPU mostly idle, so levels compare."""
    t_end = time.monotonic() + limit
    while True:
        b0, t0 = machine_busy()
        time.sleep(1)
        b1, t1 = machine_busy()
        busy = (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1) * 100
        if busy < 30:
            return
        if time.monotonic() >= t_end:
            print(f"      (other processes keep {busy:.0f}% of a core busy; measuring anyway)")
            return


def run_level(args, port: int, master: int, clients: int, codes: list[str]) -> Results:
    wait_quiet(args.quiet_wait)
    run = run_asyncio if args.client == "asyncio" else run_threads
    results = Results(codes, args.max_flows, time.perf_counter() + args.duration)
    c0, s0, (b0, t0) = client_cpu_seconds(), server_cpu_seconds(master), machine_busy()
    w0 = time.perf_counter()
    run(port, clients, results)
    wall = time.perf_counter() - w0
    c1, s1, (b1, t1) = client_cpu_seconds(), server_cpu_seconds(master), machine_busy()
    results.wall = wall
    client_cpu, server_cpu = (c1 - c0) / wall * 100, (s1 - s0) / wall * 100
    machine = (b1 - b0) / max(1, t1 - t0) * 100
    other = max(0.0, machine * (os.cpu_count() or 1) - client_cpu - server_cpu)
    n = len(results.flow_ms)
    print(f"flow  clients={clients:<3} flows/s={n / wall:6.1f}  p50={pct(results.flow_ms, 50):4.0f} ms  "
          f"p95={pct(results.flow_ms, 95):4.0f} ms  p99={pct(results.flow_ms, 99):4.0f} ms  failed={results.failed}  "
          f"(n={n}, {wall:.1f} s)")
    bound = ""
    if client_cpu >= 85:
        bound = "  <- CLIENT CPU-BOUND (one core): the figure is a floor, not the server's limit"
    elif machine >= 90:
        bound = "  <- machine saturated (both cores busy)"
    per_flow = (s1 - s0) / n * 1000 if n else float("nan")
    print(f"      cpu (100% = one core): client {client_cpu:3.0f}%, server {server_cpu:3.0f}%, other processes "
          f"{other:3.0f}%; machine {machine:3.0f}% busy of {os.cpu_count()} cores{bound}")
    print(f"      server CPU per flow {per_flow:.1f} ms, client {(c1 - c0) / max(n, 1) * 1000:.1f} ms -> at most "
          f"~{(os.cpu_count() or 1) * 1000 / (per_flow + (c1 - c0) / max(n, 1) * 1000):.0f} flows/s on this machine's "
          f"{os.cpu_count()} cores with client and server sharing them")
    if other >= 25:
        print("      note: other processes took CPU during this level; the figures understate an idle machine")
    order = ["start", "code", "welcome", "page_get", "page_post", "review", "submit", "thanks"]
    print("      per request p50/p99 ms: " + "  ".join(
        f"{s} {pct(results.step_ms[s], 50):.0f}/{pct(results.step_ms[s], 99):.0f}" for s in order if results.step_ms.get(s)))
    if results.first_failure:
        print(f"      first failure: {results.first_failure}")
    return results


def audit(env: dict[str, str], completed: int) -> bool:
    result = cli(env, "audit", "--json", check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"audit: could not read its output (exit {result.returncode}): {result.stdout[-500:]}{result.stderr[-500:]}")
        return False
    counts = report.get("counts", {})
    reconciles = counts.get("issued", 0) >= counts.get("used", -1) == counts.get("pooled", 0) + counts.get("stored", 0)
    matches = counts.get("used") == completed
    ok = bool(report.get("ok")) and result.returncode == 0 and reconciles and matches
    print(f"audit: {'PASS' if ok else 'FAIL'} (exit {result.returncode})  issued={counts.get('issued')} "
          f"used={counts.get('used')} pooled={counts.get('pooled')} stored={counts.get('stored')}  "
          f"completed flows={completed}{'' if matches else '  <- used != completed flows'}")
    for check in report.get("checks", []):
        if not check["ok"]:
            print(f"  FAILED {check['name']}: {check['explanation']}")
    return ok


# --- profile mode: the app in-process under cProfile ---------------------------------------------

def profile(args) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="wir-bench-") as tmp:
        env, codes = make_instance(Path(tmp), args.profile + 20)
        os.environ["WIR_SURVEY_INSTANCE"] = env["WIR_SURVEY_INSTANCE"]
        sys.path.insert(0, str(ROOT))
        from survey import create_app

        app = create_app()
        failures = 0

        def one(code: str) -> bool:
            client = app.test_client()
            gen = flow(code)
            try:
                step, method, path, form = next(gen)
                while True:
                    r = client.open(path, method=method, data=form)
                    step, method, path, form = gen.send((r.status_code, r.headers.get("Location"), r.get_data(as_text=True)))
            except StopIteration:
                return True
            except FlowFailed as exc:
                print("profile flow failed:", exc)
                return False

        for _ in range(10):  # warm caches (templates, questionnaire, keys) outside the profile
            one(codes.pop())
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.enable()
        for _ in range(args.profile):
            failures += not one(codes.pop())
        profiler.disable()
        wall = time.perf_counter() - t0
        print(f"profile: {args.profile} flows in-process in {wall:.2f} s under cProfile "
              f"({wall / args.profile * 1000:.1f} ms per flow incl. test-client and profiler overhead), {failures} failed")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,10,50", help="comma-separated concurrency levels")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of new flows per level")
    parser.add_argument("--max-flows", type=int, default=4000, help="at most this many flows per level")
    parser.add_argument("--client", choices=("asyncio", "threads"), default="asyncio")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--worker-class")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="before each level wait up to this many s for other processes to leave the CPU idle")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N flows in-process instead")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile to print")
    args = parser.parse_args()
    if args.profile:
        profile(args)
        return
    levels = [int(x) for x in args.levels.split(",")]
    warmup = 20
    with tempfile.TemporaryDirectory(prefix="wir-bench-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        env, codes = make_instance(tmp, args.max_flows * len(levels) + warmup)
        extra = gunicorn_args(args)
        print(f"instance: {len(codes)} codes issued in {time.perf_counter() - t0:.1f} s; gunicorn -c "
              f"python:survey.gunicorn_conf {' '.join(extra) or '(shipped settings)'}; client={args.client}; "
              f"{os.cpu_count()} cores")
        port = free_port()
        server = start_server(env, port, extra, tmp / "gunicorn.log")
        completed = 0
        try:
            warm = Results(codes, warmup, time.perf_counter() + 30)
            run_asyncio(port, 2, warm)
            completed += len(warm.flow_ms)
            if warm.failed:
                print(f"warm-up: {warm.failed} of {warmup} flows failed; first: {warm.first_failure}")
            for clients in levels:
                results = run_level(args, port, server.pid, clients, codes)
                completed += len(results.flow_ms)
        finally:
            stop_server(server)
        log = (tmp / "gunicorn.log").read_text(errors="replace").strip()
        if log:
            print("gunicorn log (tail):\n" + log[-1500:])
        ok = audit(env, completed)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

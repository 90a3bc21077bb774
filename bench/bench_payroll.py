"""Payroll day: whole respondent flows against several gunicorn nodes that share one PostgreSQL database.

Run from the repository root:  .venv/bin/python bench/bench_payroll.py [options]

On the day the payroll slip carries the codes, a large share of the staff answers within the first
hour, and production runs on PostgreSQL behind more than one app node. This bench builds that set-up
from bench_flow.py's parts: a throwaway database `wir_bench_<hex>` on the given server (dropped at
the end, also on failure or Ctrl-C), one instance folder, and `--nodes` gunicorn processes on free
ports of 127.0.0.1, all with the same configuration and keys. Every request goes to the next node in
turn, as a load balancer without sticky sessions would send it, so each flow crosses the nodes (the
session lives in an encrypted cookie, so any node must do).

1. Levels: closed-loop clients (--levels), each running whole flows back to back with fresh codes.
2. Replay: --share of --employees codes answer "within the first hour", the hour compressed to
   3600/--compress seconds; arrivals are an open loop (a Poisson process), so flows pile up when the
   nodes fall behind instead of waiting politely as closed-loop clients do.
3. `wir-survey audit --json` must pass, with used codes == pooled + stored == completed flows.

Only aggregate figures are printed: no code, no per-respondent time.

Options: --postgres URL  --nodes 2  --workers N  --levels 1,10,50,200  --duration 15  --max-flows N (200 per s of --duration)
         --employees 12000  --share 0.3  --compress 60  --seed 1  --quiet-wait 20  --detail
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bench_flow as bf

sys.path.insert(0, str(bf.ROOT))
from tests.tools.postgres_settings import autovacuum_on  # noqa: E402  (shared with the PostgreSQL tests)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STEPS = ("start", "code", "welcome", "page_get", "page_post", "review", "submit", "thanks")
NaN = float("nan")
# Codes issued per second of a level: twice what two shared cores manage, so a level ends by time, not by codes.
CODES_PER_SECOND = 200


# --- the throwaway database ----------------------------------------------------------------------

@contextmanager
def throwaway_database(server_url: str) -> Iterator[tuple[str, str]]:
    """Create `wir_bench_<hex>` on the server and yield (its URL, its name); drop it afterwards, whatever happened."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"wir_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        shown = make_url(server_url).render_as_string(hide_password=True)
        raise SystemExit(f"No PostgreSQL server answers at {shown}: start one, or name one with --postgres URL "
                         "or WIR_SURVEY_TEST_POSTGRES.") from None
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False), name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class DatabaseBackends:
    """The server processes that serve the bench database, seen through pg_stat_activity and /proc.

    Only the app's connections are counted, not the whole server: another database on a shared server
    (a test run) would otherwise show up as the bench's cost. WAL writer, checkpointer and autovacuum
    are left out; a backend that ends between two samples loses its share (the pools keep theirs)."""

    def __init__(self, url: str, name: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.engine = create_engine(url, poolclass=NullPool)  # no idle connection of ours stays behind
        self.name = name
        with self.engine.connect() as connection:
            self.max_connections = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
            own = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            self.local = _is_postgres(own)  # while it lives; False when the server runs elsewhere

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of each of the app's backends on the bench database (NaN if the server is not local)."""
        from sqlalchemy import text

        with self.engine.connect() as connection:
            pids = connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()"), {"name": self.name}).scalars().all()
        if not self.local:
            return {pid: NaN for pid in pids}
        seconds = {}
        for pid in pids:
            fields = bf.stat_fields(pid)
            if fields is not None:
                seconds[pid] = (int(fields[11]) + int(fields[12])) / bf.TICK  # utime stime
        return seconds

    def close(self) -> None:
        self.engine.dispose()


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip().startswith("postgres")
    except OSError:
        return False


# --- the app nodes -------------------------------------------------------------------------------

@dataclass
class Node:
    port: int
    proc: subprocess.Popen


@contextmanager
def app_nodes(env: dict[str, str], count: int, extra: list[str], tmp: Path) -> Iterator[list[Node]]:
    """`count` gunicorn masters, each in its own session on its own free port; all stopped afterwards."""
    nodes: list[Node] = []
    try:
        for index in range(count):
            port = bf.free_port()  # taken before the next call: start_server waits until the node answers
            nodes.append(Node(port, bf.start_server(env, port, extra, tmp / f"gunicorn-{index + 1}.log")))
        yield nodes
    finally:
        for node in nodes:
            bf.stop_server(node.proc)
        for index in range(len(nodes)):
            log = (tmp / f"gunicorn-{index + 1}.log").read_text(errors="replace").strip()
            if log:
                print(f"gunicorn node {index + 1} log (tail):\n" + log[-1500:])


# --- CPU accounting ------------------------------------------------------------------------------

@dataclass
class Cpu:
    """CPU seconds so far: this process (the client), the app nodes' process trees, PostgreSQL's, the machine."""

    client: float
    app: float
    db: dict[int, float]
    busy: int
    total: int
    at: float

    @classmethod
    def now(cls, masters: list[int], backends: DatabaseBackends) -> Cpu:
        db = backends.cpu()
        busy, total = bf.machine_busy()
        return cls(bf.client_cpu_seconds(), sum(bf.server_cpu_seconds(m) for m in masters), db, busy, total,
                   time.perf_counter())


@dataclass
class Spent:
    wall: float
    client: float
    app: float
    db: float
    machine: float  # share of all cores busy, 0..1

    @classmethod
    def between(cls, a: Cpu, b: Cpu) -> Spent:
        db = sum(seconds - a.db.get(pid, 0.0) for pid, seconds in b.db.items())  # a new backend: all of it
        return cls(b.at - a.at, b.client - a.client, b.app - a.app, db, (b.busy - a.busy) / max(1, b.total - a.total))

    def per_flow(self, flows: int) -> str:
        """Server CPU per completed flow: the app nodes, and PostgreSQL's share beside it."""
        if not flows:
            return "server CPU/flow    - ms"
        db = "" if math.isnan(self.db) else f" (+ PostgreSQL {self.db / flows * 1000:4.1f} ms)"
        return f"server CPU/flow {self.app / flows * 1000:5.1f} ms{db}"

    def detail(self, flows: int) -> str:
        cores = os.cpu_count() or 1
        pct = lambda seconds: seconds / self.wall * 100  # noqa: E731
        db = 0.0 if math.isnan(self.db) else self.db
        other = max(0.0, self.machine * cores * 100 - pct(self.client) - pct(self.app) - pct(db))
        line = (f"      cpu (100% = one core): client {pct(self.client):3.0f}%, app nodes {pct(self.app):3.0f}%, "
                f"PostgreSQL {'  -' if math.isnan(self.db) else f'{pct(db):3.0f}'}%, other {other:3.0f}%; "
                f"machine {self.machine * 100:3.0f}% busy of {cores} cores; "
                f"client {self.client / max(flows, 1) * 1000:.1f} ms/flow")
        if pct(self.client) >= 85:
            line += "  <- CLIENT CPU-BOUND (one core)"
        return line


# --- closed-loop levels --------------------------------------------------------------------------

def level(args, label: str, ports: list[int], masters: list[int], backends: DatabaseBackends, clients: int,
          codes: list[str]) -> int:
    """One closed-loop level over all nodes; prints one line and returns the completed flows."""
    bf.wait_quiet(args.quiet_wait)
    results = bf.Results(codes, args.max_flows, time.perf_counter() + args.duration)
    before = Cpu.now(masters, backends)
    bf.run_asyncio(ports, clients, results)
    spent = Spent.between(before, Cpu.now(masters, backends))
    n = len(results.flow_ms)
    capped = "  (stopped at --max-flows)" if results.started >= args.max_flows else ""
    print(f"{label}  clients={clients:<3} flows/s={n / spent.wall:6.1f}  {latencies(results.flow_ms)}  "
          f"failed={results.failed}  {spent.per_flow(n)}  (n={n}, {spent.wall:.1f} s){capped}", flush=True)
    explain(args, results, spent)
    return n


def latencies(flow_ms: list[float]) -> str:
    return "  ".join(f"p{q}={bf.pct(flow_ms, q):5.0f} ms" for q in (50, 95, 99))


def explain(args, results: bf.Results, spent: Spent) -> None:
    """The first failure always; CPU split and per-request times with --detail."""
    if results.first_failure:
        print(f"      first failure: {results.first_failure}")
    if args.detail:
        print(spent.detail(len(results.flow_ms)))
        print("      per request p50/p99 ms: " + "  ".join(
            f"{s} {bf.pct(results.step_ms[s], 50):.0f}/{bf.pct(results.step_ms[s], 99):.0f}"
            for s in STEPS if results.step_ms.get(s)))


# --- open-loop replay ----------------------------------------------------------------------------

async def _arrivals(ports: list[int], codes: list[str], rate: float, rng: random.Random,
                    results: bf.Results) -> tuple[float, int]:
    """Start one flow per arrival of a Poisson process, however many are running; (arrival span s, most at once)."""
    nodes = itertools.cycle(ports)
    running: set[asyncio.Task] = set()
    peak = 0
    t0 = due = time.perf_counter()
    for code in codes:
        due += rng.expovariate(rate)  # due times, not sleeps: a late wake-up does not slow the process down
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one_flow(ports, nodes, code, results))
        running.add(task)
        task.add_done_callback(running.discard)
        peak = max(peak, len(running))  # the count only grows at an arrival, so the peak is seen here
    span = time.perf_counter() - t0
    await asyncio.gather(*running)
    return span, peak


async def _one_flow(ports: list[int], nodes: Iterator[int], code: str, results: bf.Results) -> None:
    """A new respondent: their own connections and cookie jar."""
    conns = bf.connections(ports)
    try:
        await bf.async_flow(conns, nodes, code, results)
    finally:
        await bf.close_all(conns)


def replay(args, label: str, ports: list[int], masters: list[int], backends: DatabaseBackends,
           codes: list[str]) -> int:
    """The first hour of the payroll day, compressed; prints two lines and returns the completed flows."""
    hour = 3600 / args.compress
    rate = len(codes) / hour
    bf.wait_quiet(args.quiet_wait)
    results = bf.Results([], len(codes), math.inf)
    before = Cpu.now(masters, backends)
    span, peak = asyncio.run(_arrivals(ports, codes, rate, random.Random(args.seed), results))
    spent = Spent.between(before, Cpu.now(masters, backends))
    n = len(results.flow_ms)
    print(f"{label}  replay: {len(codes)} of {args.employees} employees in the first hour, compressed to {hour:.0f} s "
          f"(Poisson arrivals, {rate:.1f}/s); arrivals took {span:.1f} s, all flows done after {spent.wall:.1f} s")
    print(f"{label}  replay   arrivals={len(codes)}  completed={n}  failed={results.failed}  "
          f"flows/s={n / spent.wall:6.1f}  {latencies(results.flow_ms)}  most in progress={peak}  "
          f"{spent.per_flow(n)}", flush=True)
    explain(args, results, spent)
    return n


# --- main ----------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("WIR_SURVEY_TEST_POSTGRES") or DEFAULT_POSTGRES,
                        help="a PostgreSQL server URL (default: $WIR_SURVEY_TEST_POSTGRES, else %(default)s)")
    parser.add_argument("--nodes", type=int, default=2, help="gunicorn processes (app nodes)")
    parser.add_argument("--workers", type=int, help="gunicorn workers per node (default: survey.gunicorn_conf)")
    parser.add_argument("--levels", default="1,10,50,200", help="closed-loop client counts; '' for none")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of new flows per level")
    parser.add_argument("--max-flows", type=int,
                        help=f"at most this many flows per level (default: {CODES_PER_SECOND} per second of --duration)")
    parser.add_argument("--employees", type=int, default=12000, help="codes issued for the replay")
    parser.add_argument("--share", type=float, default=0.3,
                        help="share of the employees answering in the first hour; 0 skips the replay")
    parser.add_argument("--compress", type=float, default=60.0, help="the hour runs this many times faster")
    parser.add_argument("--seed", type=int, default=1, help="seed of the arrival times")
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="before each part wait up to this many s for other processes to leave the CPU idle")
    parser.add_argument("--server-as-is", action="store_true",
                        help="do not switch autovacuum on for the run (the audit fails on a server without it)")
    parser.add_argument("--detail", action="store_true", help="also print the CPU split and per-request times")
    args = parser.parse_args()
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    args.max_flows = args.max_flows or math.ceil(args.duration * CODES_PER_SECOND)
    args.worker_class = args.threads = None  # bench_flow.gunicorn_args reads them
    if args.nodes < 1 or not 0 <= args.share <= 1 or args.compress <= 0:
        parser.error("--nodes must be at least 1, --share between 0 and 1, --compress above 0")
    return args


def open_files_for(connections: int) -> None:
    """Raise this process's limit of open files as far as allowed: an overrun replay keeps one socket
    open per flow in progress, thousands of them, where the usual soft limit is 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256  # the rest: the interpreter, logs, the CLI's pipes
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        if limit < wanted:
            print(f"note: at most {limit} open files (ulimit -Hn); flows beyond that fail with 'Too many open files'")


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally blocks drop the database
    label = f"payroll-pg{args.nodes}"
    answering = round(args.share * args.employees)
    open_files_for(max([*args.levels, answering]))
    warmup = 20 * args.nodes
    level_codes = warmup + args.max_flows * len(args.levels)
    with tempfile.TemporaryDirectory(prefix="wir-bench-payroll-") as tmp_name, \
            throwaway_database(args.postgres) as (url, name), \
            autovacuum_on(args.postgres, args.server_as_is) as ensure_autovacuum:
        vacuum = ensure_autovacuum()
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        env, wave = bf.make_wave(tmp, level_codes + args.employees, url)
        codes = bf.issue_codes(env, wave, level_codes + args.employees, tmp)  # one batch: each CLI start costs seconds
        employees, codes = codes[:args.employees], codes[args.employees:]
        extra = bf.gunicorn_args(args)
        print(f"instance: database {name} ({vacuum}), {len(codes)} codes for the levels and {len(employees)} for the replay "
              f"issued in {time.perf_counter() - t0:.1f} s; {args.nodes} nodes of gunicorn -c python:survey.gunicorn_conf "
              f"{' '.join(extra) or '(shipped settings)'}; requests round-robin over the nodes; {os.cpu_count()} cores",
              flush=True)
        completed = 0
        with app_nodes(env, args.nodes, extra, tmp) as nodes:
            ports, masters = [n.port for n in nodes], [n.proc.pid for n in nodes]
            warm = bf.Results(codes, warmup, time.perf_counter() + 60)
            bf.run_asyncio(ports, 2 * args.nodes, warm)
            completed += len(warm.flow_ms)
            if warm.failed:
                print(f"warm-up: {warm.failed} of {warmup} flows failed; first: {warm.first_failure}")
            backends = DatabaseBackends(url, name)
            try:
                held = len(backends.cpu())
                for clients in args.levels:
                    completed += level(args, label, ports, masters, backends, clients, codes)
                if answering:
                    completed += replay(args, label, ports, masters, backends, employees[:answering])
                print(f"postgres: {held} connections to the bench database after the warm-up, {len(backends.cpu())} "
                      f"at the end (max_connections {backends.max_connections}); "
                      + ("the CPU of its backends is counted from /proc" if backends.local
                         else "the server is not on this machine: its CPU is not counted"))
            finally:
                backends.close()
        ok = bf.audit(env, completed)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: the nodes are stopped and the bench database is dropped")

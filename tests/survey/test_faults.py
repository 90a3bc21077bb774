"""Faults under load, reconciled exactly: no answer lost, none doubled, no code used without an answer.

Real gunicorn nodes serve clients that run whole respondent flows and retry a failed step (same
cookie jar, same form) on any live node, as a person presses "try again". Meanwhile nodes are killed
with SIGKILL (the whole process group) and restarted, PostgreSQL drops every connection, an
operator's `pool flush` is killed after it has written its batch but before it commits, and a few
submit replies are lost after the answer was committed, so that their retry finds the code used.
Afterwards every code whose flow reached the thank-you page must be used, no other; every used
code must have exactly one answer, waiting in the pool or stored; and every answer must open with
the passphrase. Each fault must really have happened, so that the test cannot pass by missing them.

The harness is tests/tools/cluster/, the killed flush tests/tools/flush_midway.py. Only counts are
printed, never a code or a time of a respondent's; WIR_FAULTS_TRACE=1 adds a line per fault as it lands.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import postgres_url
from tests.tools.cluster import Cluster, Node, Stored, audit, make_instance, read_database

CLIENTS = 8
#: A submit flushes once this many answers of the wave wait: often, so that flushes meet the faults.
THRESHOLD = 5
#: More codes than the clients can use up while the faults play out; the rest stay unused.
CODES = 800

needs_postgres = pytest.mark.skipif(
    not postgres_url and not os.environ.get("CI"),
    reason="set WIR_SURVEY_TEST_POSTGRES (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)",
)


# --- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture
def autovacuum_on() -> Iterator[Callable[[], str]]:
    """The audit fails a server without autovacuum: it is switched on, and the server's value restored at
    the end. Yields a function that switches it on again, for just before the audit: another test session
    on the same server may have restored its own value meanwhile."""
    from tests.tools.postgres_settings import autovacuum_on as switched_on

    with switched_on(postgres_url) as ensure:
        ensure()
        yield ensure


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database, dropped at the end even if a killed node left connections behind."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"wir_faults_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """Build an instance and its nodes; whatever happens, every process started is killed at the end."""
    made: list[Cluster] = []

    def _make(database_url: str | None, nodes: int, workers: int) -> Cluster:
        instance = make_instance(tmp_path, database_url, CODES, THRESHOLD)
        cluster = Cluster(instance, [Node(f"n{i}", instance, workers, tmp_path) for i in range(nodes)], tmp_path)
        made.append(cluster)
        return cluster

    yield _make
    for cluster in made:
        cluster.cleanup()


@pytest.fixture
def postgres_cluster(autovacuum_on: Callable[[], None], postgres_database: str,
                     make_cluster: Callable[..., Cluster]) -> Cluster:
    cluster = make_cluster(postgres_database, nodes=2, workers=2)
    cluster.before_audit = autovacuum_on
    return cluster


@pytest.fixture
def sqlite_cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(None, nodes=1, workers=2)


# --- the tests ----------------------------------------------------------------------------------------

@pytest.mark.postgres
@needs_postgres
def test_two_postgres_nodes_lose_no_answer_to_kills_dropped_connections_and_a_killed_flush(
        postgres_cluster: Cluster) -> None:
    cluster, started = postgres_cluster, time.monotonic()
    cluster.start_flush_process()  # it loads the app while the nodes boot
    cluster.start_nodes()
    cluster.start_load(CLIENTS)
    time.sleep(1.0)
    # A flush holds its written batch; node 0 dies while a submit sent to it waits behind the lock.
    cluster.kill_flush_midway(lambda _backend: cluster.kill_node(0, blocked=True))
    # Every connection dropped, at no particular moment: the workers' pooled connections are dead.
    cluster.drop_connections()
    time.sleep(0.5)
    # A flush holds again; every connection but the flush's is dropped while submits wait on its lock.
    cluster.kill_flush_midway(lambda backend: _drop_behind(cluster, backend))
    cluster.wait_live(0)
    time.sleep(1.0)
    cluster.kill_node(1)  # with a submit on its way to it
    cluster.wait_live(1)
    time.sleep(0.5)
    cluster.stop_load()
    cluster.stop_nodes()
    _reconcile("postgres", cluster, started)


def test_one_sqlite_node_loses_no_answer_to_kills_and_a_killed_flush(sqlite_cluster: Cluster) -> None:
    cluster, started = sqlite_cluster, time.monotonic()
    cluster.start_flush_process()
    cluster.start_nodes()
    cluster.start_load(CLIENTS)
    time.sleep(2.0)
    # The flush holds SQLite's write lock; the node dies while a submit waits on the busy timeout.
    cluster.kill_flush_midway(lambda _backend: cluster.kill_node(0, blocked=True))
    cluster.wait_live(0)  # the clients wait meanwhile: there is no other node
    time.sleep(2.0)
    cluster.kill_node(0)  # with a submit on its way to it
    cluster.wait_live(0)
    time.sleep(2.0)
    cluster.kill_flush_midway()  # its rollback journal is left behind: the node's next request rolls it back
    time.sleep(1.0)
    cluster.stop_load()
    cluster.stop_nodes()
    _reconcile("sqlite", cluster, started)


# --- helpers ------------------------------------------------------------------------------------------

def _drop_behind(cluster: Cluster, flush_backend: int) -> None:
    """Drop the connections once a submit waits on the flush's lock, sparing the flush (it is killed next)."""
    cluster.submits_waiting_on_locks()
    cluster.drop_connections(spare=flush_backend)


def _reconcile(label: str, cluster: Cluster, started: float) -> None:
    """The exact reconciliation, from the database itself and from the audit; one summary line of counts."""
    stored = read_database(cluster.instance)
    cluster.before_audit()
    report = audit(cluster.instance)
    problems = _flows_and_codes(cluster, stored) + _audit_problems(report, cluster, stored) + _faults_missing(label, cluster)
    print("\n" + _summary_line(label, cluster, stored, time.monotonic() - started, problems))
    assert not problems, "; ".join(problems)


def _flows_and_codes(cluster: Cluster, stored: Stored) -> list[str]:
    """Used codes are exactly the completed flows' codes, and each used code has exactly one answer."""
    summary, digests = cluster.summary(), cluster.instance.digests
    completed = {digests[code] for code in cluster.completed_codes}
    problems = []
    if cluster.client_errors:
        problems.append(f"{len(cluster.client_errors)} clients crashed: {cluster.client_errors[:3]}")
    if summary["failed"]:
        unfinished = {digests[code] for code in cluster.unfinished_codes}
        problems.append(f"{summary['failed']} flows did not reach the thank-you page ({len(unfinished & stored.used)} "
                        f"of their codes used): {cluster.failures()}")
    if stored.used != completed:
        problems.append(f"{len(stored.used - completed)} used codes without a completed flow, "
                        f"{len(completed - stored.used)} completed flows whose code is unused")
    if len(stored.used) + stored.unused != len(digests):
        problems.append(f"{len(stored.used)} used + {stored.unused} unused codes, {len(digests)} issued")
    if len(stored.used) != stored.waiting + stored.stored:
        problems.append(f"{len(stored.used)} used codes but {stored.waiting} answers waiting + {stored.stored} stored")
    if stored.first != len(stored.used):
        problems.append(f"{stored.first} first submits counted, {len(stored.used)} codes used")
    retries = summary["submit_attempts"] - summary["submits"]
    if not cluster.faults.replies_lost <= stored.repeated <= retries:
        problems.append(f"{stored.repeated} repeated submits counted: not between the {cluster.faults.replies_lost} "
                        f"submits whose reply was lost and the {retries} retried submit attempts")
    return problems


def _audit_problems(report: dict, cluster: Cluster, stored: Stored) -> list[str]:
    """The audit passes, opened every answer, and counts what the database holds."""
    problems = []
    failed = [f"{check['name']}: {check['explanation']}" for check in report["checks"] if not check["ok"]]
    if failed or report["exit_code"] != 0 or not report["ok"]:
        problems.append(f"the audit failed: {failed}")
    if "answers_open" not in {check["name"] for check in report["checks"]}:
        problems.append("the audit did not open the answers")
    expected = {"issued": len(cluster.instance.digests), "used": len(stored.used), "pooled": stored.waiting,
                "stored": stored.stored}
    if report["counts"] != expected:
        problems.append(f"the audit counts {report['counts']}, the database {expected}")
    return problems


def _faults_missing(label: str, cluster: Cluster) -> list[str]:
    """Every kind of fault landed, and at least one submit failed and was retried."""
    faults = cluster.faults
    landed = {"node kill": faults.node_kills, "flush kill": faults.flush_kills, "lost reply": faults.replies_lost,
              "failed and retried submit": cluster.summary()["submits_failed"]}
    if label == "postgres":
        landed["connection drop"] = faults.connection_drops
    return [f"no {kind} happened" for kind, count in landed.items() if not count]


def _summary_line(label: str, cluster: Cluster, stored: Stored, seconds: float, problems: list[str]) -> str:
    """Counts only: what was done, what failed and was retried, and how the answers add up."""
    summary, faults = cluster.summary(), cluster.faults
    failed = ", ".join(f"{n} {kind}" for kind, n in sorted(cluster.failed_requests.items())) or "none"
    drops = (f"{faults.connection_drops} connection drops ({faults.backends_dropped} backends), "
             if label == "postgres" else "")
    logged = cluster.log_lines()
    return (f"faults[{label}]: {summary['submits']} submits ({summary['submits_failed']} failed and retried, "
            f"{stored.repeated} retries found their first attempt committed), {faults.node_kills} node kills, "
            f"{drops}{faults.flush_kills} flush kills midway, {faults.replies_lost} submit replies lost; "
            f"{summary['completed']} flows completed; requests retried: {failed}; used {len(stored.used)} = "
            f"waiting {stored.waiting} + stored {stored.stored}"
            + (f"; {logged} log lines written" if logged else "")
            + f"; {seconds:.1f} s; " + ("reconciled" if not problems else "NOT reconciled"))

"""What the database and the audit say once every node has stopped: the test reconciles its flows with it.

Read directly and through `wir-survey audit`, so that an answer lost, doubled or unopenable shows in both.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .instance import Instance, app_for


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

"""The instance under test, set up with the real `wir-survey` commands as an operator runs them.

So the harness tests what production gets, not a shortcut; only the council's approval is given
in-process, since `waves approve` wants a councillor's login.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

QUESTIONNAIRE = "migration-background"
PASSPHRASE = "fault harness passphrase - throwaway"


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

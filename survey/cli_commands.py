"""CLI commands for waves, keys, codes, the pool and the audit; each a thin shell over an operation."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app

from .cli import commands, fail, passphrase, requires
from .crypto import KeyProblem
from .keys import key_files
from .waves import WaveError


# --- waves ------------------------------------------------------------------------------------

@commands.group("waves")
def waves_group() -> None:
    """Create, open, close and list survey waves."""


@waves_group.command("create")
@click.argument("questionnaire_id")
@click.option("--name", required=True, help="A name people recognise, e.g. 'AGG survey 2027'.")
@click.option("--strata", "strata_file", required=True, type=click.Path(dir_okay=False, exists=True),
              help="CSV: one column per stratum attribute (e.g. group,department) plus headcount.")
@click.option("--message", "messages", multiple=True, metavar="LANG=TEXT",
              help="Motivational message shown before the questions, per language; repeatable.")
@click.option("--min-count", type=int, default=5, show_default=True,
              help="k: cells of 1..k-1 people are secret in releases (floor 3).")
@click.option("--min-stratum-size", type=int, default=None,
              help="No codes for strata below this headcount (default and floor: MIN_STRATUM_SIZE).")
@click.option("--standing", is_flag=True,
              help="Stays open across years for new hires (Measure 4); headcounts are the expected yearly intake.")
@click.option("--results-date", metavar="YYYY-MM-DD", help="When the results will be published (thank-you page).")
@click.option("--results-where", metavar="TEXT", help="Where the results will be published, e.g. an intranet address.")
@requires()
def waves_create(questionnaire_id: str, name: str, strata_file: str, messages: tuple[str, ...], min_count: int,
                 min_stratum_size: int | None, standing: bool, results_date: str | None,
                 results_where: str | None) -> None:
    """Create a draft wave of QUESTIONNAIRE_ID and print its id."""
    from questionnaires import QuestionnaireError, load_builtin

    from .waves import create_wave, read_strata_csv

    try:
        available = load_builtin()
    except QuestionnaireError as exc:
        fail(str(exc))
    if questionnaire_id not in available:
        fail(f"There is no questionnaire {questionnaire_id!r}; known: {', '.join(sorted(available))}.")
    parsed = {}
    for item in messages:
        lang, sep, text = item.partition("=")
        if not sep or not text.strip():
            fail(f"--message {item!r}: write it as LANG=TEXT, e.g. de=Machen Sie mit!")
        parsed[lang.strip()] = text.strip()
    try:
        strata = read_strata_csv(Path(strata_file))
        wave = create_wave(available[questionnaire_id], name, strata, parsed, min_count=min_count,
                           min_stratum_size=min_stratum_size, standing=standing,
                           results={"date": results_date or "", "where": results_where or ""})
    except WaveError as exc:
        fail(str(exc))
    small = [s for s in wave.strata if s.headcount < wave.min_stratum_size]
    for s in small:
        click.echo(f"warning: stratum {s.label} has {s.headcount} employees, below the minimum of "
                   f"{wave.min_stratum_size}; no codes can be issued for it. Merge it with another.", err=True)
    click.echo(wave.id)


@waves_group.command("configuration")
@click.argument("wave_id", type=int)
@requires()
def waves_configuration(wave_id: int) -> None:
    """What the staff council approves: the wave's exact configuration, its hash and the approval's state."""
    from .council.operations import approval_state, configuration, configuration_hash
    from .waves import get_wave

    try:
        wave = get_wave(wave_id)
    except WaveError as exc:
        fail(str(exc))
    click.echo(json.dumps(configuration(wave), indent=2, ensure_ascii=False, sort_keys=True))
    click.echo(f"configuration hash: {configuration_hash(wave)}")
    click.echo(approval_state(wave).explanation)


LOGIN_REFUSED = {
    "credentials": "The name or the password is wrong.",
    "second_factor": "The one-time code is wrong or was used already.",
    "disabled": "This account is disabled.",
    "enrol": "This account's second factor is not set up yet: log in once on the staff pages first.",
}


@waves_group.command("approve")
@click.argument("wave_id", type=int)
@click.option("--user", "name", required=True, help="The staff council member who decides.")
@click.option("--refuse", is_flag=True, help="Refuse instead of approving; needs --comment.")
@click.option("--comment", default="", help="Why; required with --refuse.")
@requires()
def waves_approve(wave_id: int, name: str, refuse: bool, comment: str) -> None:
    """The staff council's decision on a draft wave's configuration as it is now (G5).

    Asks for the council member's password and current one-time code, or reads
    WIR_SURVEY_USER_PASSWORD and WIR_SURVEY_USER_OTP; logged like the decision on the page."""
    import os

    from .auth.operations import LoginRefused, authenticate
    from .council.operations import configuration_hash, decide
    from .extensions import db
    from .waves import get_wave

    password = os.environ.get("WIR_SURVEY_USER_PASSWORD") or click.prompt(f"Password of {name}", hide_input=True,
                                                                          err=True)
    code = os.environ.get("WIR_SURVEY_USER_OTP") or click.prompt("Current one-time code", err=True)
    try:
        account = authenticate(name, password, code)
        db.session.commit()
    except LoginRefused as exc:
        db.session.rollback()
        if exc.kind == "wait":
            fail(f"Too many failed attempts: try again in {exc.wait} seconds.")
        fail(LOGIN_REFUSED.get(exc.kind, "The login was refused."))
    if "council" not in account.roles:
        fail(f"{account.name} is not a member of the staff council (role council); only the council approves waves.")
    try:
        decision = decide(wave_id, account.name, approve=not refuse, comment=comment)
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"Wave {wave_id} {decision.decision} by {account.name}; configuration hash "
               f"{configuration_hash(get_wave(wave_id))}.")


@waves_group.command("open")
@click.argument("wave_id", type=int)
@requires()
def waves_open(wave_id: int) -> None:
    """Open a draft wave for answers; refused without the staff council's approval of its configuration."""
    from .waves import open_wave

    try:
        wave = open_wave(wave_id)
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"Wave {wave.id} ({wave.name}) is open.")


@waves_group.command("close")
@click.argument("wave_id", type=int)
@requires()
def waves_close(wave_id: int) -> None:
    """Close an open wave."""
    from .waves import close_wave

    try:
        wave, waiting = close_wave(wave_id)
    except (WaveError, KeyProblem) as exc:
        fail(str(exc))
    click.echo(f"Wave {wave.id} ({wave.name}) is closed. Answers still waiting in its pool, fewer than a batch: "
               f"{waiting}. They stay sealed there, and releases read them.")


@waves_group.command("list")
@requires()
def waves_list() -> None:
    """Every wave with its state, questionnaire and participation.

    Answers sent with an already used code are counted, never kept: the person sees the usual
    thank-you page (a code cannot be told apart by trying it), and an unusual number tells the
    staff that codes are passed on or tried from a list."""
    from sqlalchemy import func, select

    from .extensions import db
    from .models import SubmitCount, Token
    from .waves import list_waves

    for wave in list_waves():
        def count(stmt):
            return db.session.scalar(stmt) or 0
        issued = count(select(func.count()).select_from(Token).where(Token.wave_id == wave.id))
        used = count(select(func.count()).select_from(Token).where(Token.wave_id == wave.id, Token.used.is_(True)))
        reused = count(select(SubmitCount.repeated).where(SubmitCount.wave_id == wave.id))
        headcount = sum(s.headcount for s in wave.strata)
        click.echo(
            f"{wave.id}\t{wave.state}\t{wave.questionnaire_id} v{wave.questionnaire_version}\t{wave.name}\t"
            f"{len(wave.strata)} strata, {headcount} employees, {issued} codes, {used} answered, "
            f"{reused} answers sent with an already used code (dropped)\t"
            f"hash {wave.questionnaire_hash[:16]}"
        )


# --- keys -------------------------------------------------------------------------------------

@commands.group("keys")
def keys_group() -> None:
    """The Statistics Office key pair."""


@keys_group.command("create")
@requires("instance")
def keys_create() -> None:
    """Create the key pair and print the public key's fingerprint."""
    try:
        fingerprint = key_files().create(passphrase(confirm=True))
    except KeyProblem as exc:
        fail(str(exc))
    click.echo(f"Keys written to {key_files().directory}.")
    click.echo(f"Statistics Office public key fingerprint: {fingerprint}")


@keys_group.command("check")
@requires("instance")
def keys_check() -> None:
    """Check that the passphrase opens the Statistics Office key."""
    from .crypto import fingerprint

    try:
        key = key_files().load_statistics_private(passphrase())
    except KeyProblem as exc:
        fail(str(exc))
    click.echo(f"The passphrase opens the Statistics Office key {fingerprint(key.public_key())}.")


# --- tokens -----------------------------------------------------------------------------------

@commands.group("tokens")
def tokens_group() -> None:
    """Issue one-time codes for printing."""


@tokens_group.command("issue")
@click.argument("wave_id", type=int)
@click.option("--stratum", "selector", required=True, help="e.g. group=medium,department=32")
@click.option("--count", type=int, required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="FILE.csv (token,url for a mail-merge) or FILE.pdf (printable slips).")
@requires()
def tokens_issue(wave_id: int, selector: str, count: int, out: str) -> None:
    """Issue COUNT codes for one stratum into a print file, written once and never again."""
    from .issuing import issue_tokens
    from .waves import parse_selector

    try:
        batch = issue_tokens(wave_id, parse_selector(selector), count, Path(out))
    except WaveError as exc:
        fail(str(exc))
    click.echo(f"{batch.count} codes for {batch.stratum_label} written to {batch.path}. "
               "The server cannot print them again: store the file safely and delete it after printing.")


# --- pool -------------------------------------------------------------------------------------

@commands.group("pool")
def pool_group() -> None:
    """The mix pool between submission and the response store."""


@pool_group.command("flush")
@requires()
def pool_flush() -> None:
    """Move each wave's waiting answers to the store where at least the threshold wait.

    Submits do this by themselves; the command is for a threshold lowered since. A smaller batch is
    never moved: it would narrow each of its answers to fewer codes."""
    from .pool import flush, waiting

    moved = flush()
    click.echo(f"{moved} answers mixed into the response store; {waiting()} wait in batches smaller than "
               f"{current_app.config['POOL_FLUSH_THRESHOLD']}.")


# --- staff log --------------------------------------------------------------------------------

@commands.group("log")
def log_group() -> None:
    """The staff log: who did what and when (never anything a respondent did)."""


@log_group.command("verify")
@requires()
def log_verify() -> None:
    """Check the staff log's chain; exit 1 and name the first broken entry if it does not hold."""
    from .stafflog import verify

    result = verify()
    click.echo(result.explanation)
    if not result.ok:
        sys.exit(1)


@log_group.command("show")
@click.option("--last", type=int, default=50, show_default=True, help="How many of the newest entries.")
@requires()
def log_show(last: int) -> None:
    """The newest staff log entries: number, time (UTC), who, what."""
    from sqlalchemy import select

    from .extensions import db
    from .models import StaffLogEntry

    entries = db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id.desc()).limit(last))
    for entry in reversed(list(entries)):
        click.echo(f"{entry.id}\t{entry.at}\t{entry.actor}\t{entry.action}\t{entry.details_json}")


# --- audit ------------------------------------------------------------------------------------

@commands.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--passphrase", "open_answers", is_flag=True,
              help="Also open every stored and waiting answer with the Statistics Office key (asks for its "
                   "passphrase unless $WIR_SURVEY_PASSPHRASE is set).")
@requires()
def audit_command(as_json: bool, open_answers: bool) -> None:
    """Check the anonymity guarantees on the live database and configuration; exit 1 if any check fails."""
    from .audit import run_audit

    report = run_audit(current_app._get_current_object(), passphrase() if open_answers else None)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for check in report.checks:
            click.echo(f"[{'PASS' if check.ok else 'FAIL'}] {check.name}")
            click.echo(click.wrap_text(check.explanation, initial_indent="    ", subsequent_indent="    "))
        click.echo("All checks passed." if report.ok else "Some checks FAILED.")
    if not report.ok:
        sys.exit(1)


from . import cli_operate, cli_quotas, cli_releases, cli_tables, cli_translations, cli_users, demo  # noqa: E402,F401  (register their commands)

"""`wir-survey demo`: an instance a newcomer can try at once (demo keys, open waves, a few codes)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app

from .cli import commands, fail, initialise_instance, requires
from .config import PASSPHRASE_ENV
from .files import ensure_private_dir

DEMO_PASSPHRASE = "demo passphrase - not for production"
DEMO_STRATA = Path(__file__).parent / "demo" / "strata.csv"
DEMO_MESSAGES = {
    "de": "Machen Sie mit! Ihre Antworten helfen uns, eine Verwaltung für alle zu sein. – Der Oberbürgermeister "
          "und der Gesamtpersonalrat",
    "en": "Please take part! Your answers help us be an administration for everyone. – The Lord Mayor and the "
          "Central Staff Council",
}
#: Told on the thank-you page (invented, as everything in the demo).
DEMO_RESULTS = {"date": "2027-03-31", "where": "Intranet, Seite „WIR2.0 Beschäftigtenbefragung“"}


@commands.command("demo")
@click.option("--codes", default=3, show_default=True, help="New demo codes per wave.")
@click.option("--port", type=click.IntRange(1, 65535),
              help="Serve on this port (written into the instance configuration); default: the configured one, 5000.")
@requires("none")
def demo_command(codes: int, port: int | None) -> None:
    """Initialise a demo instance: keys, one open wave per questionnaire, and fresh codes to try.

    Refused before anything is written when the port is taken, naming a free one to use instead."""
    from questionnaires import load_builtin

    from .instance import free_port_after, port_in_use
    from .issuing import issue_tokens
    from .keys import key_files
    from .council.operations import decide
    from .waves import create_wave, list_waves, open_wave, read_strata_csv

    instance = Path(current_app.instance_path)
    host, serving = str(current_app.config["BIND_ADDRESS"]), port or int(current_app.config["PORT"])
    if port_in_use(host, serving):
        fail(f"Port {serving} on {host} is in use already (another wir-survey, or another program). Choose another "
             f"port, e.g. `make run PORT={free_port_after(host, serving)}`; the demo then prints URLs with it.")
    initialise_instance(port)
    phrase = os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE
    if not key_files().exist():
        key_files().create(phrase)
    by_name = {w.name: w for w in list_waves()}
    out_dir = instance / "demo-codes"
    ensure_private_dir(out_dir)
    click.echo("")
    click.echo("wir-survey demo instance")
    click.echo(f"  instance folder:   {instance}")
    click.echo(f"  key passphrase:    {phrase}")
    _print_staff_logins()
    for questionnaire in load_builtin().values():
        name = f"Demo: {questionnaire.id}"
        wave = by_name.get(name)
        if wave is None:
            wave = create_wave(questionnaire, name, read_strata_csv(DEMO_STRATA), DEMO_MESSAGES,
                               results=DEMO_RESULTS)
        if wave.state == "draft":
            decide(wave.id, "demo council", approve=True, comment="Demo: approved when the demo was set up.")
            open_wave(wave.id)
        if wave.state != "open":
            continue
        stratum = wave.strata[1]
        batch = issue_tokens(wave.id, stratum.attributes, codes, out_dir / f"wave-{wave.id}-{secrets.token_hex(3)}.csv")
        click.echo(f"\n  wave {wave.id}: {questionnaire.text(questionnaire.title, 'en')} ({stratum.label})")
        for line in batch.path.read_text(encoding="utf-8").splitlines()[1:]:
            code, url = line.split(",", 1)
            click.echo(f"    {code}   {url}")
    _print_released_wave(phrase)
    click.echo(f"\nOpen {current_app.config['PUBLIC_URL']}/ on a phone-sized window and type a code, or open its URL.")
    click.echo("With each code only the first answers sent count; `make run` prints fresh codes every time.\n")


def _print_staff_logins() -> None:
    """The demo accounts, one per role, with the password and (for office and council) the TOTP secret."""
    from .auth.operations import DEMO_PASSWORD, ensure_demo_accounts

    accounts = ensure_demo_accounts()
    click.echo(f"  staff logins:      {current_app.config['PUBLIC_URL']}/staff/login")
    for account in accounts:
        if not account.demo:
            click.echo(f"    {account.name:<8} (a real account of that name exists; no demo login)")
            continue
        line = f"    {account.name:<8} password {DEMO_PASSWORD}"
        if account.otp_secret:
            line += f"   one-time code: `wir-survey users otp {account.name}` (TOTP secret {account.otp_secret})"
        click.echo(line)


def _print_released_wave(phrase: str) -> None:
    """A closed and released demo wave with invented answers, for the release pages and HR's view."""
    from .crypto import WrongPassphrase
    from .demo_release import ensure_monitoring_demo, ensure_released_demo_wave
    from .waves import read_strata_csv

    try:
        release = ensure_released_demo_wave(phrase, read_strata_csv(DEMO_STRATA), DEMO_MESSAGES)
    except WrongPassphrase:
        click.echo("\n  (no released demo wave: the passphrase given does not open this instance's key)")
        return
    click.echo(f"\n  released demo wave {release.wave_id} (invented answers): release {release.id}, "
               f"{release.respondents} responses; see /staff/office/releases/{release.id} (office) and "
               "/staff/hr/ (hr: a baseline from the survey)")
    standing = ensure_monitoring_demo(phrase, DEMO_MESSAGES)
    click.echo(f"  standing new-hire demo wave {standing}, released for 2025 and 2026, and a plan version with "
               "invented N and V: see /staff/hr/monitoring (hr)")

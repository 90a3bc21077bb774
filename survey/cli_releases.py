"""`wir-survey release` and `wir-survey releases list|show`: publishing and the release log."""
from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from .cli import commands, fail, passphrase, requires
from .crypto import KeyProblem


@commands.command("release")
@click.argument("wave_id", type=int)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="A new folder for the release files.")
@click.option("--min-count", type=int, default=None, help="k: cells of 1..k-1 people are secret; only raises the wave's approved k.")
@click.option("--random-state", type=int, default=0, show_default=True, help="Breaks ties between equally cheap patterns.")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--year", type=int, default=None, help="A standing wave's release: the year whose new hires it adds.")
@requires()
def release_command(wave_id: int, out: str, min_count: int | None, random_state: int, lang: str,
                    year: int | None) -> None:
    """Publish the protected tables of WAVE_ID, audited together with every earlier release."""
    from .releases import ReleaseRefused, make_release
    from .waves import WaveError

    try:
        result = make_release(wave_id, passphrase(), Path(out), min_count=min_count, random_state=random_state, lang=lang,
                              year=year)
    except (ReleaseRefused, WaveError, KeyProblem, ValueError) as exc:
        fail(str(exc))
    release = result.release
    click.echo(f"Release {release.id} (wave {release.wave_id}, no. {release.number}): {release.respondents} responses, "
               f"{len(result.files)} files in {result.directory}.")
    for cell in result.already_disclosed:
        click.echo(f"warning: {cell}.", err=True)


@commands.group("releases")
def releases_group() -> None:
    """The append-only log of everything published."""


@releases_group.command("list")
@requires()
def releases_list() -> None:
    """Every release: id, wave, number, population and parameters."""
    from .extensions import db
    from .models import Release

    for release in db.session.scalars(select(Release).order_by(Release.id)):
        parameters = release.parameters
        click.echo(f"{release.id}\twave {release.wave_id}\tno. {release.number}\t{release.respondents} responses\t"
                   f"k={parameters['min_count']}\t{len(json.loads(release.files_json))} files\t"
                   f"questionnaire {release.questionnaire_hash[:16]}")


@releases_group.command("show")
@click.argument("release_id", type=int)
@requires()
def releases_show(release_id: int) -> None:
    """One release: parameters, the hash of every file, and what each table published."""
    from .extensions import db
    from .models import Release

    release = db.session.get(Release, release_id)
    if release is None:
        fail(f"There is no release {release_id}; `wir-survey releases list` shows the log.")
    click.echo(f"Release {release.id}: wave {release.wave_id}, no. {release.number}, {release.respondents} responses")
    for key, value in release.parameters.items():
        click.echo(f"  {key}: {value}")
    click.echo("Files (SHA-256):")
    for name, digest in json.loads(release.files_json).items():
        click.echo(f"  {digest}  {name}")
    click.echo("Published cells:")
    for table_id, cells in json.loads(release.published_json).items():
        secret = sum(1 for _, _, status in cells if status == "secret")
        unsurveyed = sum(1 for _, _, status in cells if status == "not_surveyed")
        click.echo(f"  {table_id}: {len(cells)} cells, {secret} secret"
                   + (f", {unsurveyed} not surveyed" if unsurveyed else ""))

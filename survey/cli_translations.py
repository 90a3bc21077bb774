"""`wir-survey translations`: what each language covers and which translations are still drafts."""
from __future__ import annotations

import sys

import click
from flask import current_app

from .cli import commands, fail, requires


@commands.group("translations")
def translations_group() -> None:
    """Coverage and review state of the respondent interface and questionnaire translations."""


@translations_group.command("status")
@requires("none")
def translations_status() -> None:
    """Per language: interface strings missing or still drafts, and questionnaires whose translation
    is a draft. Exit status 1 when a shipped language misses a string."""
    from questionnaires import load_builtin

    from .translation_status import interface_status, respondent_messages

    needed = respondent_messages()
    questionnaires = load_builtin()
    incomplete = False
    click.echo(f"Respondent interface: {len(needed)} strings.")
    for language in current_app.config["LANGUAGES"]:
        status = interface_status(language, needed)
        draft_questionnaires = [q.id for q in questionnaires.values() if language in q.machine_translated]
        lacking = [q.id for q in questionnaires.values() if language not in q.languages]
        parts = [f"{len(needed) - len(status.missing)}/{len(needed)} interface strings"]
        if status.drafts:
            parts.append(f"{len(status.drafts)} drafts")
        if draft_questionnaires:
            parts.append("draft questionnaires: " + ", ".join(draft_questionnaires))
        if lacking:
            parts.append("no translation of: " + ", ".join(lacking))
        reviewed = not status.drafts and not draft_questionnaires and not lacking and status.complete
        click.echo(f"{language}\t{'reviewed' if reviewed else 'DRAFT' if status.complete else 'INCOMPLETE'}\t"
                   + "; ".join(parts))
        for msgid in status.missing:
            click.echo(f"  missing: {msgid!r} ({', '.join(needed[msgid])})", err=True)
        incomplete = incomplete or not status.complete or bool(lacking)
    if incomplete:
        sys.exit(1)


@translations_group.command("reviewed")
@click.argument("language")
@click.argument("part")
@requires("none")
def translations_reviewed(language: str, part: str) -> None:
    """Mark LANGUAGE's translation of PART as reviewed: PART is `interface` (the catalogue's draft
    flags) or a questionnaire id (its `machine_translated` entry). Run it after a reviewer has
    checked the text; commit the changed file. A questionnaire's new hash needs a new approval."""
    from questionnaires import load_builtin
    from questionnaires.loader import definitions_dir

    from .translation_status import catalogue_path, mark_questionnaire_reviewed, mark_reviewed

    if language not in current_app.config["LANGUAGES"] or language == "de":
        fail(f"{language!r} is not a translated language here; known: {', '.join(current_app.config['LANGUAGES'][1:])}.")
    if part == "interface":
        if not catalogue_path(language).is_file():
            fail(f"There is no catalogue for {language}.")
        click.echo(f"{language}: {mark_reviewed(language)} interface strings marked reviewed.")
        return
    available = load_builtin()
    if part not in available:
        fail(f"{part!r} is neither `interface` nor a questionnaire; known: {', '.join(sorted(available))}.")
    path = definitions_dir() / f"{part}.yaml"
    if not mark_questionnaire_reviewed(path, language):
        fail(f"{part} in {language} is not marked as a draft.")
    click.echo(f"{part} in {language} marked reviewed ({path}).")

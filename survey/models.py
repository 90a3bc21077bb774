"""The schema. Anonymity is enforced here, by what the tables can hold (house rule 4).

`tokens`, `pool` and `responses` carry no time, no sequential id and no reference to each other:
tokens are keyed by their HMAC, the pool by its wave (one row of shuffled sealed answers per wave)
and responses by random UUID4s, and on SQLite all three are WITHOUT ROWID tables, so not even a
hidden rowid records insertion order. Only codes carry a stratum: participation is counted from
them, while an answer's stratum travels inside its sealed payload (a stratum in clear beside an
answer would name the one person of a stratum in which one code was used).
`wir-survey audit` checks the live database against exactly these rules.
"""
from __future__ import annotations

import json
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

WAVE_STATES = ("draft", "open", "closed")

#: The only columns the three anonymous tables may have; the audit compares against these.
ANONYMOUS_COLUMNS: dict[str, frozenset[str]] = {
    "tokens": frozenset({"digest", "wave_id", "stratum_id", "used"}),
    "pool": frozenset({"wave_id", "entries"}),
    "responses": frozenset({"id", "wave_id", "sealed"}),
}


class Wave(db.Model):
    """One questionnaire version fielded to a population, with the exact definition it was built from."""

    __tablename__ = "waves"
    __table_args__ = (CheckConstraint("CAST(state AS TEXT) IN ('draft', 'open', 'closed')", name="ck_waves_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    questionnaire_version: Mapped[int]
    questionnaire_hash: Mapped[str] = mapped_column(String(64))
    questionnaire_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    messages_json: Mapped[str] = mapped_column(Text, default="{}")
    # Disclosure parameters the staff council approves with the wave (DESIGN.md section 7).
    min_count: Mapped[int] = mapped_column(default=5)
    min_stratum_size: Mapped[int] = mapped_column(default=20)
    #: A standing wave (Measure 4's new hires) stays open across years and is released yearly; its
    #: strata's headcounts are the expected yearly intake, and codes are issued as people arrive.
    standing: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When and where the results will be published ({"date": ISO date, "where": text or URL}),
    #: told on the thank-you page.
    results_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")

    strata: Mapped[list[Stratum]] = relationship(back_populates="wave", order_by="Stratum.id")

    @property
    def messages(self) -> dict[str, str]:
        """Motivational messages per language (mayor, department heads, staff council)."""
        return json.loads(self.messages_json or "{}")

    @property
    def results(self) -> dict[str, str]:
        """When ("date", ISO) and where ("where") the results will be published; empty if not yet said."""
        return json.loads(self.results_json or "{}")


class Stratum(db.Model):
    """A cell of the population (e.g. employee group x department) with its headcount."""

    __tablename__ = "strata"
    __table_args__ = (
        UniqueConstraint("wave_id", "attributes_json", name="uq_strata_wave_attributes"),
        CheckConstraint("headcount >= 0", name="ck_strata_headcount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    attributes_json: Mapped[str] = mapped_column(Text)
    headcount: Mapped[int]

    wave: Mapped[Wave] = relationship(back_populates="strata")

    @property
    def attributes(self) -> dict[str, str]:
        return json.loads(self.attributes_json)

    @property
    def label(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.attributes.items())


class Token(db.Model):
    """A one-time code, known to the database only by its HMAC; `used` flips once, on submit."""

    __tablename__ = "tokens"
    __table_args__ = {"sqlite_with_rowid": False}

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    stratum_id: Mapped[int] = mapped_column(ForeignKey("strata.id"))
    used: Mapped[bool] = mapped_column(default=False)


class Pool(db.Model):
    """The answers of one wave waiting to be mixed into the store: one value, reshuffled on every write.

    Each answer is sealed to the Statistics Office key, so nothing here is readable without its
    passphrase. One row per wave, rewritten whole in a fresh random order by every submit, keeps the
    order of arrival out of the file: separate rows would land on pages, and at offsets within a
    page, in the order they were written (see `survey.pool`)."""

    __tablename__ = "pool"
    __table_args__ = {"sqlite_with_rowid": False}

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True, autoincrement=False)
    entries: Mapped[bytes] = mapped_column(LargeBinary)


class Response(db.Model):
    """A stored response: sealed to the Statistics Office key; only the wave is in clear."""

    __tablename__ = "responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class Release(db.Model):
    """One published release of a wave: what was published, for which population, and file hashes.

    Append-only: database triggers refuse UPDATE and DELETE. The true counts of every cell,
    secret ones included, are kept sealed to the Statistics Office key, so that later releases can
    be audited against this one without keeping anything readable."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("wave_id", "number", name="uq_releases_wave_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    number: Mapped[int]
    questionnaire_hash: Mapped[str] = mapped_column(String(64))
    respondents: Mapped[int]
    parameters_json: Mapped[str] = mapped_column(Text)
    published_json: Mapped[str] = mapped_column(Text)
    files_json: Mapped[str] = mapped_column(Text)
    sealed_counts: Mapped[bytes] = mapped_column(LargeBinary)

    @property
    def parameters(self) -> dict[str, object]:
        """What the release was made with (k, method, population, year of a standing wave, ...)."""
        return json.loads(self.parameters_json)


class SubmitCount(db.Model):
    """Per wave, how many submits stored their answers (`first`) and how many came with a code that
    had already answered and were dropped (`repeated`).

    A code that has answered still leads through the questionnaire to the thank-you page, so that
    whoever holds a list of codes learns nothing by trying them (survey.respond.operations). Every
    submit adds one to this row, the first of a code and a later one alike, so both do the same
    writes and take the same time. `first` only repeats what the codes' used flags say; `repeated`
    is for the staff: a sudden rise means codes are passed on or tried from a list. The row holds
    no code, no time and no stratum, so it cannot say whose."""

    __tablename__ = "submit_counts"
    __table_args__ = (CheckConstraint("first >= 0 AND repeated >= 0", name="ck_submit_counts"),)

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True, autoincrement=False)
    first: Mapped[int] = mapped_column(default=0)
    repeated: Mapped[int] = mapped_column(default=0)


class StaffLogEntry(db.Model):
    """One staff action (login, wave change, approval, code batch, release), with who and when.

    Append-only (database triggers refuse UPDATE and DELETE) and chained: each entry's `digest` is
    an HMAC over its own fields and the previous entry's digest, keyed from the instance's secret,
    so that an entry changed or removed in the database breaks every digest after it, and nobody
    with the database alone can forge a new chain (`survey.stafflog`). Nothing a respondent does
    ever enters it; a code batch is logged by its count and stratum, never its codes."""

    __tablename__ = "staff_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    details_json: Mapped[str] = mapped_column(Text)
    previous: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))


class WaveApproval(db.Model):
    """The staff council's decision on one exact configuration of a wave (G5).

    It binds to the hash of that configuration (`survey.council.operations.configuration`): any
    later change to the wave makes the hashes differ, and the approval no longer counts."""

    __tablename__ = "wave_approvals"
    __table_args__ = (CheckConstraint("CAST(decision AS TEXT) IN ('approved', 'refused')", name="ck_wave_approvals_decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    configuration_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(32))


STAFF_ROLES = ("office", "council", "hr", "admin")


class StaffAccount(db.Model):
    """A staff member's login (Statistics Office, GPR, HR, account administration).

    Staff are not anonymous, so this table may hold times (the login wait), but it never holds
    anything about respondents. Roles are a sorted, comma-separated list of `STAFF_ROLES`: four
    fixed roles do not need a table of their own, and the check constraint keeps the list honest
    on every database. `otp_secret` is the TOTP seed for roles that decrypt or approve; `otp_step`
    is the last time step a code was accepted for, so a code cannot be used twice; `otp_confirmed`
says whether the authenticator app has proved it holds the secret."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        UniqueConstraint("name", name="uq_staff_accounts_name"),
        CheckConstraint("failed_logins >= 0", name="ck_staff_accounts_failed_logins"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles_csv: Mapped[str] = mapped_column(String(100), default="")
    otp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    otp_step: Mapped[int] = mapped_column(default=0)
    #: False until the first valid one-time code: until then the login page shows the QR code.
    otp_confirmed: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    demo: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: Unix time before which no login is tried for this account (grows with each failure).
    locked_until: Mapped[int] = mapped_column(default=0)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(r for r in self.roles_csv.split(",") if r)


class ParticipationSnapshot(db.Model):
    """What the Statistics Office's pages show of a wave's participation: per stratum the codes
    issued and the codes used, rounded to 5, taken at most once per clock hour (`hour`, hours since
    1970 UTC) and shared by every app node.

    A page that counted live would tell someone watching it when one more person answered; this
    row changes once an hour at most, and only by steps of 5. One row per wave, replaced, so no
    history of it is kept; it holds less than the codes' own used flags at the same moment."""

    __tablename__ = "participation_snapshots"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True, autoincrement=False)
    hour: Mapped[int]
    counts_json: Mapped[str] = mapped_column(Text)


class QuotaPlanVersion(db.Model):
    """One version of HR's quota plan (DESIGN.md 9): the whole plan as JSON, with who changed it,
    when (UTC) and why. Append-only (database triggers refuse UPDATE and DELETE): a change is a new
    version, and every earlier one stays readable. Version 0, the shipped WIR2.0 plan, is not stored."""

    __tablename__ = "quota_plan_versions"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    plan_json: Mapped[str] = mapped_column(Text)

"""CHECK constraints that read the same after a dump and restore (PostgreSQL).

`state in ('draft', ...)` on a VARCHAR column is stored as a cast of a VARCHAR array; `pg_dump`
writes that back in a form PostgreSQL re-reads differently, so the audit, comparing the live
schema with the migrations', failed on every restored database. Comparing the column as TEXT
with TEXT literals is stored, dumped and restored identically. SQLite keeps the text as written
and needs no change.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CONSTRAINTS = {
    ("waves", "ck_waves_state"): ("CAST(state AS TEXT) IN ('draft', 'open', 'closed')",
                                  "state in ('draft', 'open', 'closed')"),
    ("wave_approvals", "ck_wave_approvals_decision"): ("CAST(decision AS TEXT) IN ('approved', 'refused')",
                                                       "decision in ('approved', 'refused')"),
}


def _replace(new: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for (table, name), (stable, original) in CONSTRAINTS.items():
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, stable if new else original)


def upgrade() -> None:
    _replace(new=True)


def downgrade() -> None:
    _replace(new=False)

"""Waves, strata, tokens, the mix pool and the response store.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("questionnaire_id", sa.String(100), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("questionnaire_hash", sa.String(64), nullable=False),
        sa.Column("questionnaire_json", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("messages_json", sa.Text(), nullable=False),
        sa.CheckConstraint("state in ('draft', 'open', 'closed')", name="ck_waves_state"),
    )
    op.create_table(
        "strata",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
        sa.Column("attributes_json", sa.Text(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.UniqueConstraint("wave_id", "attributes_json", name="uq_strata_wave_attributes"),
        sa.CheckConstraint("headcount >= 0", name="ck_strata_headcount"),
    )
    # The anonymous tables: no time, no sequence, no rowid, no reference to one another.
    op.create_table(
        "tokens",
        sa.Column("digest", sa.LargeBinary(32), primary_key=True),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
        sa.Column("stratum_id", sa.Integer(), sa.ForeignKey("strata.id"), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sqlite_with_rowid=False,
    )
    for name in ("pool", "responses"):
        op.create_table(
            name,
            sa.Column("id", sa.Uuid(), primary_key=True),
            sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
            sa.Column("stratum_id", sa.Integer(), sa.ForeignKey("strata.id"), nullable=False),
            sa.Column("sealed", sa.LargeBinary(), nullable=False),
            sqlite_with_rowid=False,
        )


def downgrade() -> None:
    for name in ("responses", "pool", "tokens", "strata", "waves"):
        op.drop_table(name)

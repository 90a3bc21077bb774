"""G5: the staff council's approvals, bound to a hash of a wave's configuration; per-wave k and
minimum stratum size, which belong to what the council approves.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waves") as batch:
        batch.add_column(sa.Column("min_count", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("min_stratum_size", sa.Integer(), nullable=False, server_default="20"))
    op.create_table(
        "wave_approvals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
        sa.Column("configuration_hash", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.CheckConstraint("decision in ('approved', 'refused')", name="ck_wave_approvals_decision"),
    )


def downgrade() -> None:
    op.drop_table("wave_approvals")
    with op.batch_alter_table("waves") as batch:
        batch.drop_column("min_stratum_size")
        batch.drop_column("min_count")

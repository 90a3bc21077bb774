"""The Statistics Office's view of participation: rounded to 5, refreshed at most hourly.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participation_snapshots",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), primary_key=True, autoincrement=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("participation_snapshots")

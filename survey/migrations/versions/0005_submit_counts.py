"""Per wave, how many submits stored their answers and how many came with an already used code.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submit_counts",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), primary_key=True, autoincrement=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("repeated", sa.Integer(), nullable=False),
        sa.CheckConstraint("first >= 0 AND repeated >= 0", name="ck_submit_counts"),
    )


def downgrade() -> None:
    op.drop_table("submit_counts")

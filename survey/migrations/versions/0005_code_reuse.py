"""Per wave, the count of answers sent with an already used code (and dropped).

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
        "code_reuse",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), primary_key=True, autoincrement=False),
        sa.Column("submits", sa.Integer(), nullable=False),
        sa.CheckConstraint("submits >= 0", name="ck_code_reuse_submits"),
    )


def downgrade() -> None:
    op.drop_table("code_reuse")

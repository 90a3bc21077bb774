"""Staff accounts: name, password hash, roles, second factor and the growing wait after failures.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles_csv", sa.String(100), nullable=False),
        sa.Column("otp_secret", sa.String(64), nullable=True),
        sa.Column("otp_step", sa.Integer(), nullable=False),
        sa.Column("otp_confirmed", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Integer(), nullable=False),
        sa.UniqueConstraint("name", name="uq_staff_accounts_name"),
        sa.CheckConstraint("failed_logins >= 0", name="ck_staff_accounts_failed_logins"),
    )


def downgrade() -> None:
    op.drop_table("staff_accounts")

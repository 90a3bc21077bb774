"""HR's quota plan: every version kept, with who, when and why (append-only).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

MESSAGE = "quota plan versions are append-only"


def upgrade() -> None:
    op.create_table(
        "quota_plan_versions",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER quota_plan_versions_no_{action.lower()} BEFORE {action} ON quota_plan_versions "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION quota_plan_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER quota_plan_versions_append_only BEFORE UPDATE OR DELETE ON quota_plan_versions "
            "FOR EACH ROW EXECUTE FUNCTION quota_plan_versions_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER quota_plan_versions_append_only ON quota_plan_versions")
        op.execute("DROP FUNCTION quota_plan_versions_append_only()")
    op.drop_table("quota_plan_versions")

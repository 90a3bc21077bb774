"""PostgreSQL: vacuum the codes and the pool as soon as they hold an old row version.

Every submit leaves the code's previous row and the pool's previous value behind in the table
files until vacuum clears them; read in order, those old versions tell which answer came when.
By default autovacuum waits for 50 rows plus a fifth of a table to change. These tables are
vacuumed at the next autovacuum round after any change instead (`autovacuum_naptime`, one minute
by default). SQLite needs nothing of the kind: `secure_delete` overwrites freed space at once.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PROMPT = (
    "autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, "
    "toast.autovacuum_vacuum_threshold = 0, toast.autovacuum_vacuum_scale_factor = 0"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("tokens", "pool"):
            op.execute(f"ALTER TABLE {table} SET ({PROMPT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("tokens", "pool"):
            op.execute(
                f"ALTER TABLE {table} RESET (autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor, "
                "toast.autovacuum_vacuum_threshold, toast.autovacuum_vacuum_scale_factor)"
            )

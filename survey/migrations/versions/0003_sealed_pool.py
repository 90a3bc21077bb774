"""Nothing in clear beside the answers: no stratum on pool or responses, one shuffled pool value per wave.

Answers are now sealed to the Statistics Office key from the moment of submission, with their
stratum inside the sealed payload; the server-held pool key is gone. Answers stored by an earlier
version carry their stratum only in clear and cannot be re-sealed without the Statistics Office
passphrase, so a database that holds any is refused rather than half converted.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    held = sum(connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar() for name in ("pool", "responses"))
    if held:
        raise RuntimeError(
            f"This database holds {held} answers stored by an earlier version of wir-survey, which kept their "
            "stratum in clear. They cannot be re-sealed without the Statistics Office passphrase, so the database "
            "was left unchanged. Release them with the earlier version, or start a new instance folder (a demo "
            "instance can simply be deleted)."
        )
    op.drop_table("pool")
    op.create_table(
        "pool",
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), primary_key=True, autoincrement=False),
        sa.Column("entries", sa.LargeBinary(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.drop_table("responses")
    op.create_table(
        "responses",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for name in ("responses", "pool"):
        op.drop_table(name)
        op.create_table(
            name,
            sa.Column("id", sa.Uuid(), primary_key=True),
            sa.Column("wave_id", sa.Integer(), sa.ForeignKey("waves.id"), nullable=False),
            sa.Column("stratum_id", sa.Integer(), sa.ForeignKey("strata.id"), nullable=False),
            sa.Column("sealed", sa.LargeBinary(), nullable=False),
            sqlite_with_rowid=False,
        )

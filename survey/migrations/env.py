"""Alembic environment: runs on the connection the app hands over (see survey/database.py)."""
from alembic import context

from survey.extensions import db

config = context.config
target_metadata = db.metadata

connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

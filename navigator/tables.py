"""The ground's own tables: rate-limit counters, job workers and kept jobs, stored files.

They sit here, beneath db, so that db lists every table without importing the modules that use
them (security, jobs, storage), which import db.
"""

import sqlalchemy as sa
from sqlmodel import SQLModel

# Counters for rate limits live in the database every worker shares, so several gunicorn
# workers (or machines) enforce one limit together instead of one each.
rate_limit_table = sa.Table(
    "rate_limit", SQLModel.metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# One row per process running jobs; written by its maintenance thread, read by pages.
worker_table = sa.Table(
    "job_worker", SQLModel.metadata,
    sa.Column("name", sa.String(120), primary_key=True),   # host:pid
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)

# Kept jobs: one row per job not yet done; deleted when it succeeds.
kept_table = sa.Table(
    "job_kept", SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job", sa.String(200), nullable=False),      # the registered job's name
    sa.Column("data", sa.Text, nullable=False),            # its keyword arguments, as JSON
    sa.Column("status", sa.String(10), nullable=False),    # queued, running, failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),         # not to be tried before this
    sa.Column("touched_at", sa.Float, nullable=False),     # claimed, or last queued
)

# Generated files, when they are kept in the database (several servers, no shared disk).
file_table = sa.Table(
    "stored_file", SQLModel.metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
chunk_table = sa.Table(
    "stored_file_chunk", SQLModel.metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

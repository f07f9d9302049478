"""Persistence: SQLAlchemy models, Alembic migrations, and the collector's buffered writer."""

"""SQLAlchemy storage on SQLite (embedded default) or PostgreSQL (to scale out)."""

"""PostgreSQL migrations: applied in file-name order, each recorded in schema_migrations."""

"""Authentication, roles scoped to sites and zones, and the access policy of every route."""

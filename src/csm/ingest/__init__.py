"""Ingest: validate at the edge, de-duplicate, store, dead-letter what is refused, count it all."""

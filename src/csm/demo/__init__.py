"""The demo: a simulated but realistic summer day at a site, fed through the real ingest path."""

"""Connectors for covariate and visitor-estimate sources, polled by one coordinator per site.

A source is one module implementing `csm.sources.protocol.Source`; `registry.py` maps the name
used in site.yaml `sources:` to it. See docs/sources.md.
"""

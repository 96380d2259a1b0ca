"""Foundations every other package uses: the error hierarchy, safe YAML, atomic output, signed caches, Jinja."""

"""Checks on the library and on built documents: lint, reading level, legal claims, guidance coverage, Word checks."""

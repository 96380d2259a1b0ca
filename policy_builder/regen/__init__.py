"""Regeneration: the manifest of a built policy, reading it back safely, what changed since, what to revisit."""

"""A `when` condition in a library file: checked the same way wherever one is written.

Clauses, clause rules, section heads, gap rules, questions, and the staff card and leaflet all
take a `when`. Each is compiled once as it is loaded (a syntax error is one located line) and its
names are checked against the questionnaire and the nation facts (a typo would otherwise only show
for the profiles that reach it).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from policy_builder.core.errors import LibraryError
from policy_builder.core.templating import compile_condition, names_with_lines, unknown_name

EXAMPLE = "messaging.whatsapp == 'keep_in_touch'"


def check_when(value: Any, path: Path, line: int | None, what: str = "") -> str:
    """The condition as text, compiled; a wrong type or a syntax error is one line naming ``what``."""
    prefix = f"{what}: " if what else ""
    if isinstance(value, bool):  # `when: true` keeps a clause in while it is being written
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(path, line, f"{prefix}when must be an expression such as {EXAMPLE}")
    try:
        compile_condition(value)
    except TemplateError as exc:
        raise LibraryError(
            path,
            line,
            f"{prefix}when: cannot be read as a condition ({exc}); write one such as {EXAMPLE}"
            " (== compares; and, or, not combine)",
        ) from None
    return value


def unknown_name_error(
    source: str,
    path: Path,
    line: int | None,
    what: str,
    questions: Collection[str],
    nation_facts: Collection[str] | None = None,
    *,
    expression: bool = True,
) -> LibraryError | None:
    """The error for the first name a condition (or, with expression=False, a text) cannot see, else None.

    ``line`` is the file line of the condition, or of a text's first line (a name on the text's
    fifth line is reported four lines further on).
    """
    problem = unknown_name(names_with_lines(source, expression=expression), questions, nation_facts)
    if problem is None:
        return None
    template_line, message = problem
    at = line + template_line - 1 if line and not expression else line
    return LibraryError(path, at, f"{what}: {message}")

"""Reading employer profiles (docs/profile-v1.md): nested YAML answers, validated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import _yaml
from .errors import ProfileError
from .models import Answers, Questionnaire
from .questionnaire import resolve_answers, suggest

SCHEMA_VERSION = 1
RESERVED_KEYS = ("schema",)


def flatten_profile(doc: _yaml.Document, questionnaire: Questionnaire) -> dict[str, Any]:
    """Nested profile mapping -> {question id: raw value}; unknown keys are errors."""
    data = doc.data
    path = doc.path
    if data is None:
        raise ProfileError(
            path, None, "the profile is empty; it needs at least 'schema: 1' and the organisation answers"
        )
    if not isinstance(data, dict):
        raise ProfileError(path, doc.line(), f"a profile must be a mapping of answers, not {_kind(data)}")
    schema = data.get("schema")
    if schema is None:
        raise ProfileError(path, 1, "missing 'schema: 1' at the top of the profile")
    if schema != SCHEMA_VERSION:
        raise ProfileError(
            path, doc.line("schema"), f"schema: {schema!r} is not supported; this version reads schema: 1"
        )
    namespaces = sorted({qid.split(".")[0] for qid in questionnaire.questions})
    given: dict[str, Any] = {}
    for namespace, block in data.items():
        if namespace in RESERVED_KEYS:
            continue
        if not isinstance(namespace, str) or namespace not in namespaces:
            raise ProfileError(
                path,
                doc.line(namespace),
                f"unknown key '{namespace}'{suggest(str(namespace), namespaces)}; allowed: schema, {', '.join(namespaces)}",
            )
        if block is None:
            continue
        if not isinstance(block, dict):
            raise ProfileError(
                path,
                doc.line(namespace),
                f"{namespace}: expected a mapping of answers (e.g. '{namespace}:' then indented 'name: value' lines), not {_kind(block)}",
            )
        names = sorted(qid.split(".")[1] for qid in questionnaire.questions if qid.startswith(namespace + "."))
        for name, value in block.items():
            qid = f"{namespace}.{name}"
            if qid not in questionnaire.questions:
                raise ProfileError(
                    path,
                    doc.line(namespace, name),
                    f"unknown question '{qid}'{suggest(str(name), names)}; {namespace} has: {', '.join(names)}",
                )
            given[qid] = value
    return given


def load_profile(
    path: str | Path,
    questionnaire: Questionnaire,
    nations: Mapping[str, Mapping[str, Any]],
    *,
    build_date: dt.date | None = None,
) -> Answers:
    doc = _yaml.load(path, ProfileError)
    given = flatten_profile(doc, questionnaire)
    return resolve_answers(
        questionnaire,
        given,
        nations,
        path=doc.path,
        line_of=lambda qid: doc.line(*qid.split(".")),
        build_date=build_date,
    )


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__

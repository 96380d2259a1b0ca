"""The shape of each clause-library file: types and allowed keys, as JSON Schemas (core/schema.py).

A library is trusted content, but hand-edited (and `--library` takes any folder): every file is
checked against its schema as it is read, so a wrong type or a misspelt key is one line with the
file, the line and what is allowed, never a traceback deep in a loader. The loaders check only what
a schema cannot: ids that must exist elsewhere, conditions and texts that must compile.

The schemas live with the tool, not in the library, so a library cannot loosen its own checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from policy_builder.core import yamlio
from policy_builder.core.errors import LibraryError
from policy_builder.core.schema import check_document

TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
ANY_TEXT: dict[str, Any] = {"type": "string"}
CONDITION: dict[str, Any] = {
    "type": ["string", "boolean"],
    "minLength": 1,
    "description": "a condition such as messaging.whatsapp == 'keep_in_touch'",
}
IDS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
DATE: dict[str, Any] = {"type": "date"}  # unquoted YYYY-MM-DD, which YAML reads as a date
WHOLE: dict[str, Any] = {"type": "integer"}
RULE_REF: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"action": ANY_TEXT, "modality": ANY_TEXT},
}


def _mapping(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


def _map_of(value: dict[str, Any]) -> dict[str, Any]:
    """A mapping from ids (any text) to ``value``."""
    return {"type": "object", "additionalProperties": value}


CLAUSE = _mapping(
    {
        "id": TEXT,
        "title": TEXT,
        "text": {**TEXT, "description": "Markdown with Jinja"},
        "level": {"enum": ["must", "should", "may", "note"]},
        "sources": {**IDS, "minItems": 1, "description": "a list of source ids from sources.yaml"},
        "version": {"type": "integer", "minimum": 1, "description": "a whole number from 1"},
        "updated": DATE,
        "when": CONDITION,
        "group": ANY_TEXT,
        "rules": {
            "type": "array",
            "items": _mapping(
                {
                    "action": TEXT,
                    "modality": ANY_TEXT,
                    "when": CONDITION,
                    "see": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the id of the clause whose rule this one restates",
                    },
                },
                ("action",),
            ),
        },
        "document": {"enum": ["policy", "guide"]},
        "guide": ANY_TEXT,
    },
    ("id", "title", "text", "level", "sources", "version"),
)

SECTION_FILE = _mapping(
    {
        "section": _mapping({"id": TEXT, "title": TEXT, "intro": ANY_TEXT, "when": CONDITION}, ("id", "title")),
        "clauses": {"type": "array", "items": CLAUSE, "minItems": 1, "description": "a list of clauses"},
    },
    ("section", "clauses"),
)

QUESTION = _mapping(
    {
        "id": TEXT,
        "section": ANY_TEXT,
        "type": ANY_TEXT,
        "prompt": ANY_TEXT,
        "help": ANY_TEXT,
        "sources": IDS,
        "required": {"type": "boolean"},
        "default": {},
        "default_from": ANY_TEXT,
        "default_by": {"type": "object"},
        "choices": {"type": ["array", "object"]},
        "min": WHOLE,
        "max": WHOLE,
        "when": CONDITION,
        "since": ANY_TEXT,
    },
    ("id",),
)

QUESTIONNAIRE_FILE = {
    "type": "object",
    "properties": {
        "schema": WHOLE,
        "version": ANY_TEXT,
        "sections": {"type": "array", "items": _mapping({"id": TEXT, "title": TEXT}, ("id", "title"))},
        "questions": {"type": "array", "items": QUESTION},
    },
    "required": ["questions"],
}

SOURCES_FILE = _mapping(
    {
        "documents": _map_of(
            _mapping(
                {
                    "title": TEXT,
                    "body": ANY_TEXT,
                    "edition": {"type": ["string", "integer"]},
                    "kind": ANY_TEXT,
                    "year": WHOLE,
                    "nations": IDS,
                    "employer_types": IDS,
                    "checked": DATE,
                    "url": ANY_TEXT,
                    "citation": ANY_TEXT,
                },
                ("title",),
            )
        ),
        "items": _map_of(
            {
                **_mapping({"document": TEXT, "summary": ANY_TEXT, "nations": IDS}, ("document",)),
                # The usual cause of another key: an unquoted comma in `{document: X, summary: a, b}`.
                "description": "quote a summary that contains a comma, or write the item in block style",
            }
        ),
        "not_applicable": _map_of(ANY_TEXT),
    },
)

NATIONS_FILE = _map_of(_map_of({"type": ["string", "number", "boolean", "array", "null"]}))  # null: no such body

GAPS_FILE = _mapping(
    {
        "rules": {
            "type": "array",
            "items": _mapping(
                {
                    "id": TEXT,
                    "when": CONDITION,
                    "severity": ANY_TEXT,
                    "message": ANY_TEXT,
                    "recommendation": ANY_TEXT,
                    "questions": IDS,
                    "sources": IDS,
                },
                ("id",),
            ),
        }
    },
    ("rules",),
)

ACTIONS_FILE = _mapping(
    {"actions": _map_of(_mapping({"description": TEXT, "section": TEXT}, ("description", "section")))},
)

_BLOCK = _mapping({"heading": ANY_TEXT, "text": ANY_TEXT, "bullet": ANY_TEXT, "when": CONDITION, "rule": RULE_REF})

SUMMARY_FILE = _mapping(
    {
        "title": ANY_TEXT,
        "headings": _mapping({"do": TEXT, "dont": TEXT}),
        "intro": {"type": "array", "items": _BLOCK},
        "items": {
            "type": "array",
            "items": _mapping(
                {"kind": ANY_TEXT, "clause": ANY_TEXT, "rule": RULE_REF, "text": ANY_TEXT, "when": CONDITION}
            ),
        },
        "help": {"type": "array", "items": _BLOCK},
    },
)

LEAFLET_FILE = _mapping({"title": ANY_TEXT, "blocks": {"type": "array", "items": _BLOCK}})

LIBRARY_FILE = _mapping({"version": ANY_TEXT, "released": DATE, "one_rule_one_place": {"type": "boolean"}})

HISTORY_FILE = _map_of(
    {
        "type": "array",
        "items": _mapping(
            {"version": WHOLE, "sha256": TEXT, "title": ANY_TEXT, "text": ANY_TEXT, "updated": ANY_TEXT},
            ("version", "sha256", "text"),
        ),
        "description": "written by lint --record; restore the file from git",
    }
)

MIGRATIONS_FILE = _mapping({"renamed": _map_of(ANY_TEXT), "removed": _map_of(ANY_TEXT)})


def load_checked(
    path: str | Path, schema: dict[str, Any], *, empty_ok: bool = False, limit: int = yamlio.MAX_FILE_BYTES
) -> yamlio.Document:
    """A library file, read and checked against its schema: a wrong type or key is one located line."""
    doc = yamlio.load(path, LibraryError, trusted=True, limit=limit)
    if doc.data is None and empty_ok:
        doc.data = {}
    if doc.data is None:
        raise LibraryError(doc.path, None, "is empty")
    check_document(doc, schema, LibraryError)
    return doc


# --- the audit's data (clauses/audit.yaml, clauses/audit-answers.yaml) ----------------------------------------

PATTERNS: dict[str, Any] = {
    "type": "array",
    "items": TEXT,
    "description": "a list of patterns (regular expressions, as text; quote on, off, yes, no and numbers)",
}
WORDS: dict[str, Any] = {
    "type": "array",
    "items": TEXT,
    "description": "a list of words or 're:' patterns (as text; quote on, off, yes, no and numbers)",
}
AUDIT_MODALITY_KEYS = (
    "forbids",
    "requires",
    "allows",
    "inverts",
    "imperative",
    "forbid_headings",
    "require_headings",
    "states",
    "conditions",
    "waives",
    "consent",
)
AUDIT_FILE = _mapping(
    {
        "review_date": PATTERNS,
        "grammar": _mapping(
            {
                key: PATTERNS
                for key in (
                    "part_breaks",
                    "hedges",
                    "restrictions",
                    "opening_conditions",
                    "absences",
                    "softeners",
                )
            }
        ),
        "scope": _mapping(
            {
                "nation": _map_of(PATTERNS),
                "employer_type": _map_of(PATTERNS),
                "nation_from_name": _map_of(PATTERNS),
                # the words before a type's signal that make it the document's own description ("We are a ...")
                "self_description": PATTERNS,
                # employer type -> nation -> what such an employer is called there ("HSC trust")
                "names": _map_of(_map_of(TEXT)),
            }
        ),
        "modality": _mapping(
            {
                **{key: PATTERNS for key in AUDIT_MODALITY_KEYS},
                "descriptive": PATTERNS,
                "comparisons": PATTERNS,
                "other_subjects": PATTERNS,
                **{f"{k}_columns": PATTERNS for k in ("forbid", "require", "allow")},
            },
            AUDIT_MODALITY_KEYS,
        ),
        "actions": _map_of(
            _mapping(
                {
                    "terms": {
                        "type": "array",
                        "minItems": 1,
                        "items": {**WORDS, "minItems": 1},
                        "description": "a list of groups, each a list of words",
                    },
                    "phrasings": PATTERNS,
                    "inverts": WORDS,
                    "unless": WORDS,
                    "unless_at": WORDS,
                    "against": WORDS,
                    "limits": WORDS,
                    "object": WORDS,
                    "elsewhere": WORDS,
                    "acts": WORDS,
                    "position": {"enum": ["depends"]},
                },
                ("terms",),
            )
        ),
    },
    ("modality", "actions"),
)

AUDIT_ANSWER = _mapping(
    {
        "value": {"description": "an answer the question allows"},
        "extract": {"type": "boolean"},
        "unsettles": {"type": "boolean"},
        "when": TEXT,
        "unless": TEXT,
        "sense": {"enum": ["allows", "forbids", "any"]},
        "confidence": {"type": "number", "minimum": 0.01, "description": "a number above 0 and at most 1"},
        "beats": {"type": "array", "description": "a list of answers the question allows"},
        "case_sensitive": {"type": "boolean"},
    }
)
AUDIT_ANSWERS_FILE = _mapping(
    {
        "schema": {"const": 1},
        "forbids": TEXT,
        "forbidding_headings": TEXT,
        "aspirational_headings": TEXT,
        "questions": _map_of(
            _mapping(
                {
                    "about": TEXT,
                    "about_scope": {"enum": ["sentence", "passage"]},
                    "answers": {"type": "array", "minItems": 1, "items": AUDIT_ANSWER},
                },
                ("about", "answers"),
            )
        ),
    },
    ("forbids", "forbidding_headings", "questions"),
)

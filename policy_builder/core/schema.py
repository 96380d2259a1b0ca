"""One schema machinery for everything the tool reads: a JSON Schema, and the first problem as one located line.

Library files (clause sections, questionnaire, sources, nations, gaps, actions, staff card, leaflet)
and what the tool reads back (manifests, front matter) are checked for types and allowed keys by a
schema (jsonschema, Draft 2020-12), so each such rule is written once, as data, not as a chain of
isinstance checks in each loader. The loaders keep only what a schema cannot say (a source id that
must exist, a condition that must compile).

`first_problem` gives the field and what is allowed; `check_document` turns it into the loader's own
error with the file and the line of that field (yamlio.Document keeps the line of every key path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from policy_builder.core.errors import SourceError

_WANTED = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "date": "a date written YYYY-MM-DD",
}


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def field_name(keys: Iterable[Any]) -> str:
    """('clauses', 2, 'id') -> 'clauses[2].id'."""
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(the whole file)"


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("date", raises=ValueError)
    def is_date(value: object) -> bool:
        # fromisoformat alone takes 20260101 and 2026-W01-1 from Python 3.11; the tool writes YYYY-MM-DD.
        if isinstance(value, dt.date):
            return True
        if not isinstance(value, str):
            return True  # the type keyword reports it
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError(value)
        dt.date.fromisoformat(value)
        return True

    return checker


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator, validators

    found = _validators.get(id(schema))
    if found is None:
        # YAML reads an unquoted YYYY-MM-DD as a datetime.date: the "date" type is that, and only that.
        checker = Draft202012Validator.TYPE_CHECKER.redefine("date", lambda _checker, value: isinstance(value, dt.date))
        kind = validators.extend(Draft202012Validator, type_checker=checker)  # type: ignore[no-untyped-call]  # jsonschema's stubs leave extend() unannotated
        found = _validators[id(schema)] = (kind(schema, format_checker=_format_checker()), schema)
    return found[0]


_validators: dict[int, tuple[Any, dict[str, Any]]] = {}  # the schema is kept so its id is never reused


# The types a quick look accepts: each only where jsonschema (with the "date" type above) surely accepts it
# too (a whole number written 1.0, which jsonschema takes as an integer, is left to jsonschema).
_PLAIN_TYPES: dict[str, Any] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "date": lambda v: isinstance(v, dt.date),
}
_PLAIN_NOTES = frozenset({"description"})  # keywords that check nothing


def _plainly_valid(value: Any, schema: Any) -> bool:
    """True only when ``value`` surely passes ``schema``, by a quick look at the keywords the tool's schemas use.

    Most files are valid, and walking them with jsonschema is slow (the clause history alone took a tenth
    of a second of every lint). False means "not proven", never "invalid": anything unusual (another
    keyword, a value of another type) goes to jsonschema, which finds the problem and words it.
    """
    if not isinstance(schema, dict):
        return False
    for keyword, wanted in schema.items():
        if keyword == "type":
            kinds = wanted if isinstance(wanted, list) else [wanted]
            if not any(kind in _PLAIN_TYPES and _PLAIN_TYPES[kind](value) for kind in kinds):
                return False
        elif keyword in ("minLength", "maxLength"):
            if isinstance(value, str) and not (
                len(value) >= wanted if keyword == "minLength" else len(value) <= wanted
            ):
                return False
            if not isinstance(value, str) and "type" not in schema:
                return False
        elif keyword in ("minItems", "maxItems"):
            if type(value) is list and not (len(value) >= wanted if keyword == "minItems" else len(value) <= wanted):
                return False
            if type(value) is not list and "type" not in schema:
                return False
        elif keyword == "maxProperties":
            if type(value) is not dict or len(value) > wanted:
                return False
        elif keyword == "minimum":
            if type(value) not in (int, float) or value < wanted:
                return False
        elif keyword in ("enum", "const"):
            # Text and whole numbers only, of the same type: jsonschema's own equality tells true from 1,
            # which ``==`` does not.
            choices = wanted if keyword == "enum" else [wanted]
            if type(value) not in (str, int) or not any(type(c) is type(value) and c == value for c in choices):
                return False
        elif keyword == "required":
            if type(value) is not dict or any(name not in value for name in wanted):
                return False
        elif keyword == "properties":
            if type(value) is not dict:
                return False
            for name, item in value.items():
                if name in wanted and not _plainly_valid(item, wanted[name]):
                    return False
        elif keyword == "additionalProperties":
            if type(value) is not dict:
                return False
            known = schema.get("properties", {})
            for name, item in value.items():
                if name in known:
                    continue
                if wanted is False or (wanted is not True and not _plainly_valid(item, wanted)):
                    return False
        elif keyword == "items":
            if type(value) is not list or not isinstance(wanted, dict):
                return False
            if not all(_plainly_valid(item, wanted) for item in value):
                return False
        elif keyword not in _PLAIN_NOTES:
            return False  # a keyword the quick look does not know: jsonschema decides
    return True


def first_problem(data: Any, schema: dict[str, Any], order: Any = None) -> tuple[list[Any], str] | None:
    """(the keys of the first field ``schema`` does not allow, what is wrong and what is allowed), or None.

    ``order`` ranks problems by their keys (a Document's line, so the first in the file comes
    first); by default the shallowest, then the earliest position.
    """
    if _plainly_valid(data, schema):
        return None  # nothing to report, and jsonschema need not even be imported
    errors = list(_validator(schema).iter_errors(data))
    if not errors:
        return None
    rank = order or (lambda keys: (len(keys), [str(k).zfill(8) for k in keys]))
    error = min(errors, key=lambda e: rank(list(e.absolute_path)))
    keys = list(error.absolute_path)
    custom = error.schema.get("description") if isinstance(error.schema, Mapping) else None
    if error.validator == "required":
        missing = next((name for name in error.validator_value if name not in error.instance), "?")
        keys.append(missing)
        problem = "missing"
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        keys.append(extra[0] if extra else "?")
        problem = "is not a field here" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    elif error.validator == "type":
        if error.schema.get("format") == "date":
            problem = f"expected a date written YYYY-MM-DD, got {kind_of(error.instance)}"
        else:
            wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            problem = f"expected {' or '.join(str(_WANTED.get(w, w)) for w in wanted)}, got {kind_of(error.instance)}"
    elif error.validator == "format":
        problem = f"{str(error.instance)[:40]!r} is not a real date written YYYY-MM-DD"
    elif error.validator == "const":
        problem = f"is {str(error.instance)[:40]!r}; this tool reads {error.validator_value!r}"
    elif error.validator == "enum":
        problem = f"{str(error.instance)[:40]!r} is not one of {', '.join(map(str, error.validator_value))}"
    elif error.validator in ("minLength", "minItems"):
        problem = "is empty"
    elif error.validator == "minimum":
        problem = f"must be {error.validator_value} or more"
    elif error.validator in ("maxLength", "maxItems", "maxProperties"):
        problem = f"is longer than a policy-builder file ever holds (at most {error.validator_value})"
    else:
        problem = error.message[:120]
    # A schema's description says what is allowed there, in the words of the people who edit the file.
    return keys, f"{problem}; {custom}" if custom else problem


def check_document(doc: Any, schema: dict[str, Any], error: type[SourceError]) -> None:
    """Raise ``error`` at the line of the first field of a yamlio.Document that ``schema`` does not allow.

    A field inside a list item that has an `id` is named by that id ("review.extra: level: ..."),
    as the people who edit the file know it.
    """

    def order(keys: list[Any]) -> tuple[int, int]:
        return (doc.line(*keys) or 0, -len(keys))

    found = first_problem(doc.data, schema, order)
    if found is None:
        return
    keys, problem = found
    raise error(doc.path, doc.line(*keys), f"{_named(doc.data, keys)}: {problem}")


def _named(data: Any, keys: list[Any]) -> str:
    """The field's name, starting from the last list item on the way that has an id."""
    start, label, value = 0, "", data
    for index, key in enumerate(keys):
        try:
            value = value[key]
        except (LookupError, TypeError):
            break
        if isinstance(key, int) and isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
            start, label = index + 1, value["id"]
    rest = keys[start:]
    if not label:
        return field_name(rest)
    return f"{label}: {field_name(rest)}" if rest else label

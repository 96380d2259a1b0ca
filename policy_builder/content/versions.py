"""Clause versions: a recorded history of every released clause text.

`clauses/clause-history.yaml` keeps, for each clause, the title and text of
every version. lint compares the library against it, so a clause whose
wording changed without a new version number is caught; `lint --record`
records new versions. The history also lets the build show the upstream
change when an employer's local wording was written against an older version.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.content.models import Clause
from policy_builder.content.schemas import HISTORY_FILE as HISTORY_SCHEMA
from policy_builder.content.schemas import load_checked
from policy_builder.core.output import atomic_write
from policy_builder.core.yamlio import MAX_FILE_BYTES

if TYPE_CHECKING:
    import yaml

HISTORY_FILE = "clause-history.yaml"
# The history holds every version of every clause, so it grows with the library: its size limit is this much a
# clause (about ten versions of a long clause), never less than the limit of every other YAML file. A library
# of 3,000 clauses (20 times the bundled one) has a history of several MB, which the 2 MB limit refused.
HISTORY_BYTES_PER_CLAUSE = 16 * 1024
HEADER = """\
# Every released version of every clause: its title and text, and a hash of
# them. Written by `policy-builder lint --record`; do not edit by hand.
# lint fails when a clause's text changes but its version does not.
"""


@functools.cache
def _block_dumper() -> type[yaml.SafeDumper]:
    """PyYAML's safe dumper writing multi-line text as readable `|` blocks (made when history is written: a
    build never imports PyYAML for it)."""
    import yaml

    class BlockDumper(yaml.SafeDumper):
        pass

    BlockDumper.add_representer(str, _represent_str)
    return BlockDumper


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def text_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title.strip()}\n{text.strip()}".encode()).hexdigest()[:16]


def clause_hash(clause: Clause) -> str:
    return text_hash(clause.title, clause.text)


def history_limit(clauses: int) -> int:
    """The most bytes the clause history of a library of ``clauses`` clauses may hold."""
    return max(MAX_FILE_BYTES, HISTORY_BYTES_PER_CLAUSE * clauses)


def load_history(root: Path, clauses: int = 0) -> dict[str, list[dict[str, Any]]]:
    """The recorded versions of the library in ``root``, which holds ``clauses`` clauses (for the size limit)."""
    path = root / HISTORY_FILE
    if not path.exists():
        return {}
    doc = load_checked(path, HISTORY_SCHEMA, empty_ok=True, limit=history_limit(clauses))
    history: dict[str, list[dict[str, Any]]] = {}
    for clause_id, versions in doc.data.items():
        history[str(clause_id)] = versions
    return history


def version_problems(clauses: list[Clause], history: dict[str, list[dict[str, Any]]], where: Any) -> list[str]:
    problems = []
    for clause in clauses:
        at = where(clause)
        versions = history.get(clause.id)
        if not versions:
            problems.append(f"{at}: new clause, not yet recorded: run 'policy-builder lint --record'")
            continue
        latest = versions[-1]
        current = clause_hash(clause)
        if clause.version == latest["version"]:
            if current != latest["sha256"]:
                problems.append(
                    f"{at}: text changed but version is still {clause.version}: raise version to {clause.version + 1}, "
                    "set updated, note it in clauses/CHANGELOG.md, then run 'policy-builder lint --record'"
                )
        elif clause.version > latest["version"]:
            problems.append(f"{at}: version {clause.version} is not recorded: run 'policy-builder lint --record'")
        else:
            problems.append(f"{at}: version {clause.version} is older than recorded version {latest['version']}")
    return problems


def record(root: Path, clauses: list[Clause], history: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Append every new clause version to the history file; return the ids recorded."""
    recorded = []
    for clause in clauses:
        versions = history.setdefault(clause.id, [])
        if versions and versions[-1]["version"] >= clause.version:
            continue  # unchanged, or a changed text lint refuses: never overwrite a released version
        versions.append(
            {
                "version": clause.version,
                "updated": clause.updated.isoformat() if clause.updated else None,
                "sha256": clause_hash(clause),
                "title": clause.title,
                "text": clause.text.strip() + "\n",
            }
        )
        recorded.append(clause.id)
    if recorded:
        import yaml

        body = yaml.dump(history, Dumper=_block_dumper(), sort_keys=True, allow_unicode=True, width=100)
        atomic_write(root / HISTORY_FILE, HEADER + body)
    return recorded


def text_of_version(history: dict[str, list[dict[str, Any]]], clause_id: str, version: int) -> dict[str, Any] | None:
    for entry in history.get(clause_id, []):
        if entry["version"] == version:
            return entry
    return None

"""Raise the version of every clause whose text changed since its last recorded version.

Run it after editing clauses, before `policy-builder lint --record`: it sets `version: N+1`
and `updated:` (today, or the date given) on each changed clause, in place, and lists them.
Usage: python scripts/bump_versions.py [clauses-dir] [YYYY-MM-DD]
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from policy_builder.content.library import load_library
from policy_builder.content.versions import clause_hash


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("clauses")
    date = sys.argv[2] if len(sys.argv) > 2 else dt.date.today().isoformat()
    library = load_library(root)
    changed: dict[Path, list[str]] = {}
    for clause in library.clauses:
        versions = library.history.get(clause.id)
        if not versions:
            continue
        latest = versions[-1]
        if clause.version == latest["version"] and clause_hash(clause) != latest["sha256"]:
            changed.setdefault(Path(clause.path), []).append(clause.id)
    for path, ids in changed.items():
        text = path.read_text(encoding="utf-8")
        for clause_id in ids:
            start = text.index(f"- id: {clause_id}\n")
            end = text.find("\n  - id: ", start + 1)
            end = len(text) if end == -1 else end
            block = text[start:end]
            block = re.sub(r"(\n\s+version: )(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", block, count=1)
            block = re.sub(r"(\n\s+updated: )\S+", rf"\g<1>{date}", block, count=1)
            text = text[:start] + block + text[end:]
            print(f"{path.name}: {clause_id}")
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

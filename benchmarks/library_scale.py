"""A clause library `factor` times the bundled one, for timing how a build grows with the library.

    make_scaled_library(5, Path("/tmp/lib5"))  # -> the folder to pass as --library

A minimal version, so that benchmarks/run.py can measure the 1x / 5x / 20x builds (issue 20); another
branch writes the full one (with a benchmark of its own) under the same name and signature.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLAUSES = ROOT / "clauses"


class _NoAliases(yaml.SafeDumper):
    """Writes a value shared by two copies out twice: the library refuses YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def make_scaled_library(factor: int, dest: Path) -> Path:
    """Copy clauses/ into ``dest`` with each section's clauses repeated ``factor`` times; returns the library folder.

    Copy n of a clause gets the id ``<id>-x<n>`` (so every id stays unique), and its `guide` pointer and
    `group` follow the copy, so copy n of a policy clause points to copy n of its guide clause and a
    group of alternatives stays a group of its own (one of them chosen, as in the original). Questions,
    sources and gap rules are unchanged: the same profile builds against every factor.
    """
    if factor < 1:
        raise ValueError(f"factor must be 1 or more, not {factor}")
    library = Path(dest)
    if library.exists():
        shutil.rmtree(library)
    shutil.copytree(CLAUSES, library)
    if factor == 1:
        return library
    for path in sorted(library.glob("[0-9][0-9]-*.yaml")):  # the section files: 01-purpose.yaml ...
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        originals: list[dict[str, Any]] = data.get("clauses") or []
        copies = []
        for n in range(2, factor + 1):
            for clause in originals:
                copy = dict(clause, id=f"{clause['id']}-x{n}")
                if clause.get("guide"):
                    copy["guide"] = f"{clause['guide']}-x{n}"
                if clause.get("group"):
                    copy["group"] = f"{clause['group']}-x{n}"
                copies.append(copy)
        data["clauses"] = originals + copies
        text = yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)
        path.write_text(text, encoding="utf-8")
    return library

"""How a build grows with the size of the clause library: the example council at 1x, 5x and 20x the clauses.

    python benchmarks/library_scale.py [--runs 3] [--factors 1,5,20] [--profile profiles/example-council.yaml]

`make_scaled_library(factor, dest)` copies the bundled library (clauses/) into ``dest`` and adds, to every
section, ``factor - 1`` copies of each of its clauses (policy and guide): new unique ids; titles marked
"(variant N)"; text varied by a Jinja comment in each paragraph, so lint's repeated-paragraph check holds
and the words printed, and so the reading level, stay the original's; rules restating the original's
(`see:`, so one rule still has one place); guide pointers and groups pointing at the matching copies;
each copy printing the legal claims its original prints, and recorded in the clause history. So
`policy-builder --library DEST lint` passes. The questionnaire and every other file are the bundled ones,
so every profile builds against it unchanged.

`main()` builds the profile (policy, practice guide and sources annex, Markdown and Word; no LibreOffice
page numbers) against each library as a whole process, each library with its own warm cache folder, the
factors taken in turn round after round so a busy machine slows each alike, and prints the median CPU
(user + system) and wall time of each factor and its ratio to 1x. A build linear in the library's size
takes at most ``factor`` times the 1x time (less, as start-up and the questionnaire do not grow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policy_builder.checks.claims import CLAIMS_FILE  # noqa: E402
from policy_builder.content.library import default_library_dir  # noqa: E402
from policy_builder.content.models import Clause  # noqa: E402
from policy_builder.content.versions import HISTORY_FILE, load_history, record  # noqa: E402

BIN = Path(sys.executable).parent / "policy-builder"
PROFILE = ROOT / "profiles" / "example-council.yaml"


# libyaml's loader and emitter where PyYAML has them: the same data and byte for byte the same files as the
# pure-Python ones, in a third of the time (a --quick benchmark and the library-size tests make a library).
_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_SafeLoader)


class _BlockDumper(_SafeDumper):  # type: ignore[misc]  # a base chosen at run time (libyaml's where present)
    """Multi-line text as `|` blocks, as people write the clause files; no YAML aliases (the loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _represent_str)


def _glued(lines: list[str]) -> int:
    """How many lines lint's glued-words check would flag (checks/lint.py check_glued_words)."""
    count = 0
    for line, following in zip(lines, lines[1:], strict=False):
        stripped, after = line.strip(), following.strip()
        if (
            stripped.endswith("%}")
            and re.sub(r"\{%.*?%\}", "", stripped).strip()
            and re.match(r"[\w({]", after)
            and not after.startswith("{%")
        ):
            count += 1
    return count


def _varied(text: str, copy: int) -> str:
    """``text`` with a Jinja comment in every paragraph: each copy's paragraphs differ from the original's
    (lint refuses a paragraph repeated across clauses, and the clause history hashes the text) while what
    it prints, and so the library's reading level, stays the same.

    The comment opens a line, never ends one (the environment trims the newline after a comment, which
    would join two lines), on the first line where lint's glued-words check still passes.
    """
    paragraphs = re.split(r"(\n[ \t]*\n)", text)
    comment = f"{{# variant {copy} #}}"
    for index in range(0, len(paragraphs), 2):
        lines = paragraphs[index].split("\n")
        before = _glued(lines)
        for number, line in enumerate(lines):
            tried = [*lines[:number], comment + line, *lines[number + 1 :]]
            if line.strip() and _glued(tried) <= before:
                paragraphs[index] = "\n".join(tried)
                break
    return "".join(paragraphs)


def _copy_clause(raw: dict[str, Any], copy: int) -> dict[str, Any]:
    def renamed(name: str) -> str:
        return f"{name}-copy{copy}"

    clause = dict(raw)
    clause["id"] = renamed(raw["id"])
    clause["title"] = f"{raw['title']} (variant {copy})"
    clause["text"] = _varied(raw["text"], copy)
    if raw.get("guide"):
        clause["guide"] = renamed(raw["guide"])
    if raw.get("group"):
        # The copies of a group's alternatives are a group of their own, chosen by the same conditions.
        clause["group"] = renamed(raw["group"])
    if raw.get("rules"):
        # A copy restates the original's rulings (the original is in every policy its copy is in), so the
        # library keeps one rule in one place and lint's duplicate-ruling check passes.
        clause["rules"] = [{**rule, "see": rule.get("see") or raw["id"]} for rule in raw["rules"]]
    return clause


def make_scaled_library(factor: int, dest: Path) -> Path:
    """A copy of the bundled library in ``dest`` with ``factor`` times its clauses; returns ``dest``.

    Factor 1 is the bundled library as it is. ``dest`` must not exist yet, or be an empty folder.
    """
    if factor < 1:
        raise ValueError(f"factor must be 1 or more, not {factor}")
    source = default_library_dir()
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    shutil.copytree(source, dest, dirs_exist_ok=True)
    if factor == 1:
        return dest
    copies: list[Clause] = []
    for path in sorted(dest.glob("[0-9]*.yaml")):
        data = _load(path.read_text(encoding="utf-8"))
        originals = data["clauses"]
        added = [_copy_clause(raw, copy) for copy in range(2, factor + 1) for raw in originals]
        data["clauses"] = originals + added
        path.write_text(
            yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
        for raw in added:
            updated = raw.get("updated")
            copies.append(
                Clause(
                    id=raw["id"],
                    title=raw["title"],
                    text=raw["text"],
                    level=raw["level"],
                    sources=tuple(raw["sources"]),
                    version=raw["version"],
                    updated=updated if isinstance(updated, dt.date) else None,
                    section=data["section"]["id"],
                    path=path,
                    line=None,
                )
            )
    # The register of legal claims: a copy prints what its original prints.
    claims_path = dest / CLAIMS_FILE
    if claims_path.exists():
        claims = _load(claims_path.read_text(encoding="utf-8"))
        for claim in (claims.get("claims") or {}).values():
            names = claim.get("printed_by") or []
            clause_names = [name for name in names if not name.startswith("nation.")]
            names += [f"{name}-copy{copy}" for copy in range(2, factor + 1) for name in clause_names]
        claims_path.write_text(
            yaml.dump(claims, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
    # Each copy's first version in the clause history, as `lint --record` would write it.
    record(dest, copies, load_history(dest) if (dest / HISTORY_FILE).exists() else {})
    return dest


def measure(factors: list[int], runs: int, profile: Path = PROFILE) -> dict[int, tuple[float, float]]:
    """Median (CPU, wall) seconds of a build against each scaled library, factors interleaved round by round."""
    samples: dict[int, list[tuple[float, float]]] = {factor: [] for factor in factors}
    with tempfile.TemporaryDirectory(prefix="pb-scale-") as temp:
        folder = Path(temp)
        commands: dict[int, tuple[list[str], dict[str, str]]] = {}
        for factor in factors:
            library = make_scaled_library(factor, folder / f"library-{factor}x")
            env = dict(
                os.environ, POLICY_BUILDER_CACHE=str(folder / f"cache-{factor}x"), POLICY_BUILDER_PAGE_NUMBERS="0"
            )
            out = folder / f"out-{factor}x"
            command = [
                str(BIN),
                "--library",
                str(library),
                "build",
                str(profile),
                "--format",
                "md,docx",
                "--out",
                str(out),
            ]
            commands[factor] = (command, env)
            _timed(command, env)  # warm-up, not counted: writes the library snapshot and compiled templates
        for _ in range(runs):
            for factor in factors:
                samples[factor].append(_timed(*commands[factor]))
    return {
        factor: (statistics.median(c for c, _ in values), statistics.median(w for _, w in values))
        for factor, values in samples.items()
    }


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}: {errors.decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="counted builds of each library (default 3)")
    parser.add_argument("--factors", default="1,5,20", help="library sizes, comma-separated (default 1,5,20)")
    parser.add_argument("--profile", type=Path, default=PROFILE)
    args = parser.parse_args()
    factors = sorted({int(f) for f in args.factors.split(",")} | {1})
    results = measure(factors, max(args.runs, 1), args.profile)
    base_cpu, base_wall = results[1]
    print(f"Build of {args.profile.name} (md+docx), medians of {args.runs} runs, against the library at each size")
    print(f"{'library':>8} {'CPU s':>8} {'ratio':>7} {'wall s':>8} {'ratio':>7}")
    for factor in factors:
        cpu, wall = results[factor]
        print(f"{factor:>7}x {cpu:8.3f} {cpu / base_cpu:6.2f}x {wall:8.3f} {wall / base_wall:6.2f}x")


if __name__ == "__main__":
    main()

"""benchmarks/run.py still runs end to end and reports every measurement issue 20 asks for.

A smoke run (`--quick`: one run each, tiny sizes): the table must have every row, each with a verdict
column. Timings are never asserted here; the figures of a run this small on a shared machine mean nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policy_builder.content.library import load_library

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"

# Every measurement of a --quick run, in order (a pattern each: the sizes are in the names).
ROWS = [
    r"policy-builder --help",
    r"policy-builder questions",
    r"single build: policy, guide, annex \(md \+ docx\)",
    r"single build now \(python -m\)",  # skipped in --quick: no older commit is extracted
    r"batch build per policy, --jobs 1 \(2 profiles\)",
    r"batch build per policy, --jobs 2 \(2 profiles\)",
    r"peak memory \(PSS\) of the batch, --jobs 2",
    r"policy-builder lint",
    r"policy-builder audit, \d+-page document \(\d+ words\)",
    r"browser wizard: first build \(new process\)",
    r"browser wizard: a later build",
    r"build with the library at 1x",
    r"build with the library at 2x",
]


def run(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_BUILDER_")}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, str(RUN), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def table(stdout: str) -> list[list[str]]:
    """The rows of the Markdown table at the end, as cells (header and rule left out)."""
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert lines and lines[0].startswith("| measurement |"), stdout[-2000:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[1:]]


def test_quick_run_reports_every_measurement_with_its_reference_target_and_verdict():
    done = run("--quick")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = table(done.stdout)
    assert len(rows) == len(ROWS), [r[0] for r in rows]
    for pattern, row in zip(ROWS, rows, strict=True):
        assert re.fullmatch(pattern, row[0]), (pattern, row[0])
        assert len(row) == 7, row
        measurement, median, reference, _, ratio, target, result = row
        if result.startswith("skipped"):
            continue
        assert re.match(r"\d+\.\d{3} s \(CPU \d+\.\d{3} s\)|\d+ MB", median), row
        if target:
            assert result in ("met", "NOT met"), row
        # A row with a reference has its ratio (a pandoc reference only where pandoc is installed).
        if reference != "-" and (shutil.which("pandoc") or "pandoc" not in reference):
            assert re.fullmatch(r"\d+\.\d\dx \(wall \d+\.\d\dx\)", ratio), row
    targets = {row[0]: row[5] for row in rows}
    assert targets["policy-builder --help"] == "<= 1.1x (CPU)"
    assert targets["policy-builder lint"] == "< 2 s (wall)"
    assert targets["browser wizard: first build (new process)"] == "< 1 s (wall)"
    assert targets["build with the library at 2x"] == "<= 2.0x (CPU)"
    assert rows[3][6] == "skipped: --reference none"


def test_only_runs_the_named_measurements():
    done = run("--quick", "--only", "help")
    assert done.returncode == 0, done.stderr[-3000:]
    assert [row[0] for row in table(done.stdout)] == ["policy-builder --help", "policy-builder questions"]


def test_an_unknown_measurement_is_refused_naming_the_choices():
    done = run("--only", "help,speed")
    assert done.returncode == 2
    assert "--only: no measurement speed; choose from help, single, history" in done.stderr


def test_without_pandoc_its_comparisons_say_skipped_and_time_targets_are_still_judged(tmp_path):
    done = run("--quick", "--only", "single,audit", path=str(tmp_path))  # an empty folder: no pandoc on PATH
    assert done.returncode == 0, done.stderr[-3000:]
    assert "pandoc not found: its comparisons are skipped (Debian package: pandoc)" in done.stdout
    single, audit = table(done.stdout)
    assert single[0].startswith("single build") and single[6] == "skipped: pandoc not installed"
    assert audit[0].startswith("policy-builder audit") and audit[3] == "not run (pandoc not installed)"
    assert audit[6] in ("met", "NOT met")


@pytest.mark.parametrize("factor", [1, 3])
def test_scaled_library_has_factor_times_each_sections_clauses_and_still_loads(tmp_path, factor):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from library_scale import make_scaled_library
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    original = load_library()
    scaled = load_library(make_scaled_library(factor, tmp_path / "library"))
    assert not scaled.problems
    counts = {section.id: len(section.clauses) for section in original.sections}
    assert {section.id: len(section.clauses) for section in scaled.sections} == {
        sid: count * factor for sid, count in counts.items()
    }

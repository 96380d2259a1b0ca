"""Speed figures for policy-builder, measured against pandoc in the same run.

    python benchmarks/run.py [--runs 5] [--batch 200] [--jobs N]

Reports medians over several runs of whole processes, and ratios against a
reference measured in the same command (these machines are noisy):

- single build: `policy-builder build profiles/example-council.yaml --format md,docx`
  against `pandoc` converting the resulting Markdown to docx;
- batch build: one `policy-builder build` of N generated profiles (both
  formats) against pandoc converting the N resulting Markdown files, one
  process each, as a pandoc-based pipeline would;
- CLI start: `policy-builder --help` and `policy-builder questions`;
- peak memory of the batch build: proportional set size (PSS) summed over the
  process and its workers, so memory the forked workers share counts once.

Pandoc comparisons are skipped, with a message, when pandoc is not installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "policy-builder"
sys.path.insert(0, str(ROOT))


def timed(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(runs: int, command: list[str], cwd: Path | None = None) -> float:
    timed(command, cwd)  # warm the file cache; not counted
    return statistics.median(timed(command, cwd) for _ in range(runs))


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared after fork count once across the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root_pid: int) -> int:
    """Memory (PSS) of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields.get("PPid", "0").strip())
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += _pss_kb(pid)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


def run_with_peak_memory(command: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return elapsed, peak


def generate_profiles(folder: Path, count: int, seed: int = 2026) -> list[Path]:
    """Valid profiles over the whole questionnaire, with random stances."""
    from policy_builder.library import load_library

    questionnaire = load_library(ROOT / "clauses").questionnaire
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        profile: dict = {"schema": 1}

        def put(qid: str, value: object, profile: dict = profile) -> None:
            namespace, name = qid.split(".")
            profile.setdefault(namespace, {})[name] = value

        for qid, question in questionnaire.questions.items():
            if question.type == "choice":
                put(qid, rng.choice(question.choice_values))
            elif question.type == "multi":
                values = question.choice_values
                put(qid, rng.sample(values, rng.randint(1, len(values))))
            elif question.type == "boolean":
                put(qid, rng.random() < 0.5)
            elif question.type == "integer":
                put(qid, rng.randint(question.minimum or 0, question.maximum or 12))
        put("organisation.name", f"Benchmark Council {index:03d}")
        put("organisation.short_name", f"Benchmark {index:03d}")
        put("document.owner", "Principal Social Worker")
        put("document.effective_date", "2026-12-01")
        put("messaging.record_system", "Mosaic")
        put("out_of_hours.emergency_route", "the Emergency Duty Team on 0300 000 0000")
        put("contacts.information_governance", "the Information Governance Team")
        profile.get("document", {}).pop("reference_docx", None)
        path = folder / f"profile-{index:03d}.yaml"
        path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per single measurement (median reported)")
    parser.add_argument("--batch", type=int, default=200, help="profiles in the batch build")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of the batch build and of pandoc's batch")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for the batch build (default: its own)")
    args = parser.parse_args()
    pandoc = shutil.which("pandoc")
    work = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    rows: list[tuple[str, str, str]] = []
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Medians of {args.runs} runs (batch: {args.batch_runs}); work folder {work}\n")

    # --- CLI start ---------------------------------------------------------------
    help_time = median_of(args.runs, [str(BIN), "--help"])
    questions_time = median_of(args.runs, [str(BIN), "questions"])
    rows += [("policy-builder --help", f"{help_time:.3f} s", "target < 0.15 s")]
    rows += [("policy-builder questions", f"{questions_time:.3f} s", "")]

    # --- single build ----------------------------------------------------------------
    single_out = work / "single"
    profile = ROOT / "profiles" / "example-council.yaml"
    build = [str(BIN), "build", str(profile), "--format", "md,docx", "--out", str(single_out)]
    single = median_of(args.runs, build)
    rows.append(("single build (md + docx)", f"{single:.3f} s", ""))
    if pandoc:
        markdown = next(single_out.glob("*-social-media-policy.md"))
        converted = work / "pandoc-single.docx"
        pandoc_single = median_of(args.runs, [pandoc, str(markdown), "-o", str(converted)])
        rows.append(("pandoc md -> docx, same policy", f"{pandoc_single:.3f} s", ""))
        rows.append(("ratio single / pandoc", f"{single / pandoc_single:.2f}x", "target <= 3x"))

    # --- batch build -----------------------------------------------------------------
    folder = work / "profiles"
    folder.mkdir()
    profiles = generate_profiles(folder, args.batch)
    batch_out = work / "batch"
    command = [str(BIN), "build", *map(str, profiles), "--format", "md,docx", "--out", str(batch_out)]
    if args.jobs:
        command += ["--jobs", str(args.jobs)]
    times, peaks = [], []
    for _ in range(args.batch_runs):
        shutil.rmtree(batch_out, ignore_errors=True)
        elapsed, peak = run_with_peak_memory(command)
        times.append(elapsed)
        peaks.append(peak)
    batch = statistics.median(times)
    rows.append(
        (
            f"batch build, {args.batch} profiles (md + docx)",
            f"{batch:.2f} s",
            f"{batch / args.batch * 1000:.1f} ms per policy",
        )
    )
    rows.append(("peak memory (PSS) of the batch build", f"{max(peaks) / 1024:.0f} MB", "target < 150 MB"))
    if pandoc:
        markdown_files = sorted(batch_out.glob("*-social-media-policy.md"))
        pandoc_out = work / "pandoc-batch"
        pandoc_out.mkdir()

        def pandoc_batch() -> float:
            start = time.perf_counter()
            for md in markdown_files:
                subprocess.run([pandoc, str(md), "-o", str(pandoc_out / (md.stem + ".docx"))], check=True)
            return time.perf_counter() - start

        pandoc_times = [pandoc_batch() for _ in range(args.batch_runs)]
        pandoc_batch_time = statistics.median(pandoc_times)
        rows.append((f"pandoc, {len(markdown_files)} conversions (one process each)", f"{pandoc_batch_time:.2f} s", ""))
        rows.append(("ratio batch / pandoc batch", f"{batch / pandoc_batch_time:.2f}x", "target <= 0.5x"))
    else:
        print("pandoc not found: skipping the pandoc comparisons (Debian package: pandoc)\n")

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'median':>10}  note")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>10}  {note}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Speed figures for policy-builder, measured against pandoc in the same run.

    python benchmarks/run.py [--runs 5] [--batch 200] [--jobs N] [--reference COMMIT | none] [--reference-runs 10]

Reports medians over several runs of whole processes, and ratios against a
reference measured in the same command (these machines are noisy):

- single build: `policy-builder build profiles/example-council.yaml --format md,docx`
  against `pandoc` converting the resulting Markdown to docx;
- the same build against the same build at an older commit (default: the last one
  before issue 13, when a build wrote one policy, not three documents), extracted
  with `git archive` and run with this Python from its own folder, in pairs of runs
  (alternating which goes first), each tree with its own warm cache folder: medians
  of wall and CPU time, their ratio, and the median of the pairs' ratios;
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


# The last commit before issue 13's first slice (074b43a): a build wrote one policy, in Markdown and Word.
REFERENCE = "156288e"


def timed(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(runs: int, command: list[str], cwd: Path | None = None) -> float:
    timed(command, cwd)  # warm the file cache; not counted
    return statistics.median(timed(command, cwd) for _ in range(runs))


def timed_cpu(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process: CPU is user + system time, which other work on the machine disturbs less."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} (in {cwd}) exited {process.returncode}: {errors.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def extract_commit(commit: str, folder: Path) -> str:
    """The tree of ``commit`` in ``folder`` (git archive); returns the commit's short hash and subject."""
    import io
    import tarfile

    described = subprocess.run(
        ["git", "log", "-1", "--format=%h %ad %s", "--date=short", commit],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True)
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return described


def tree_env(tree: Path, cache: Path) -> dict[str, str]:
    """Run `python -m policy_builder` from ``tree``'s own code, clauses and templates, with its own cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("POLICY_BUILDER_LIBRARY", "PYTHONPATH")}
    # Older trees took the variable as the compiled-template folder itself and wrote names.json
    # beside it: a folder of its own inside `cache` keeps both inside.
    env.update(PYTHONPATH=str(tree), POLICY_BUILDER_CACHE=str(cache / "cache"))
    return env


def compare_with_reference(work: Path, commit: str, runs: int) -> list[tuple[str, str, str]]:
    """Today's single build (three documents) against ``commit``'s (one policy), runs alternating."""
    reference = work / "reference"
    described = extract_commit(commit, reference)
    trees = {"now": ROOT, "then": reference}
    envs = {name: tree_env(tree, work / f"cache-{name}") for name, tree in trees.items()}
    for name, tree in trees.items():  # make sure each run uses its own tree's code, not the installed package
        where = subprocess.run(
            [sys.executable, "-c", "import policy_builder; print(policy_builder.__file__)"],
            cwd=tree, env=envs[name], check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        if not Path(where).resolve().is_relative_to(tree.resolve()):
            raise SystemExit(f"{name}: policy_builder came from {where}, not from {tree}")
    commands = {
        name: [sys.executable, "-m", "policy_builder", "build", "profiles/example-council.yaml",
               "--format", "md,docx", "--out", str(work / f"reference-out-{name}")]
        for name in trees
    }  # fmt: skip
    for name, tree in trees.items():
        timed_cpu(commands[name], tree, envs[name])  # warm: file cache, compiled templates, snapshot
    documents = {name: len(list((work / f"reference-out-{name}").glob("*.docx"))) for name in trees}
    wall: dict[str, list[float]] = {name: [] for name in trees}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    for index in range(runs):
        # Alternate which goes first, so neither always follows the other's disk and cache traffic.
        for name in ("now", "then") if index % 2 == 0 else ("then", "now"):
            elapsed, used = timed_cpu(commands[name], trees[name], envs[name])
            wall[name].append(elapsed)
            cpu[name].append(used)
    now_wall, then_wall = statistics.median(wall["now"]), statistics.median(wall["then"])
    now_cpu, then_cpu = statistics.median(cpu["now"]), statistics.median(cpu["then"])
    # Each pair ran back to back, under much the same load: the median of their ratios is steadier.
    paired_wall = statistics.median(n / t for n, t in zip(wall["now"], wall["then"], strict=True))
    paired_cpu = statistics.median(n / t for n, t in zip(cpu["now"], cpu["then"], strict=True))
    print(f"Reference: {described} ({documents['then']} Word file(s) a build; now {documents['now']})\n")
    return [
        (f"single build now, {documents['now']} documents (python -m)", f"{now_wall:.3f} s", f"CPU {now_cpu:.3f} s"),
        (f"single build at {commit}, {documents['then']} document(s)", f"{then_wall:.3f} s", f"CPU {then_cpu:.3f} s"),
        (f"ratio {documents['now']} documents now / {documents['then']} then", f"{now_wall / then_wall:.2f}x",
         f"CPU {now_cpu / then_cpu:.2f}x; paired: {paired_wall:.2f}x, CPU {paired_cpu:.2f}x; target <= 1.0x"),
    ]  # fmt: skip


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
    from policy_builder.content.library import load_library

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
    # The rendering is measured, not LibreOffice laying the Word files out for the contents' page numbers
    # (seconds a build; see README "PDF"). An environment variable, so the reference commit's runs ignore it.
    os.environ.setdefault("POLICY_BUILDER_PAGE_NUMBERS", "0")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per single measurement (median reported)")
    parser.add_argument("--batch", type=int, default=200, help="profiles in the batch build")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of the batch build and of pandoc's batch")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for the batch build (default: its own)")
    parser.add_argument(
        "--reference",
        default=REFERENCE,
        help=f"commit whose single build today's is compared with (default {REFERENCE}, before issue 13); 'none' skips",
    )
    parser.add_argument("--reference-runs", type=int, default=10, help="pairs of runs against the reference commit")
    args = parser.parse_args()
    # Measure as installed: pip writes compiled modules (.pyc) at install time, so no run should
    # pay for compiling ours from source, as every run does where this variable is set.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
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
    if args.reference.lower() != "none":
        rows += compare_with_reference(work, args.reference, args.reference_runs)

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

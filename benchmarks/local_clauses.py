"""Is rendering linear in the number of local clauses? Times one build with N local clauses added.

    python benchmarks/local_clauses.py [--counts 1000,2500,5000,10000] [--formats md,docx]

Each count builds profiles/example-council.yaml with N `local: - add_to:` entries spread over the
sections (one process per build, the library snapshot warm, no LibreOffice page numbers), and
reports wall and CPU seconds and the time per 1,000 local clauses. Linear rendering keeps the last
column flat; a quadratic step doubles it each time N doubles (issue 18 measured 8,000 entries at
61 s and 20,000 at over 600 s before the Word writer was fixed).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "policy-builder"
SECTIONS = ("personal-use", "boundaries", "messaging", "video", "records", "training", "breaches", "review")


def profile_with(count: int, folder: Path) -> Path:
    profile = yaml.safe_load((ROOT / "profiles" / "example-council.yaml").read_text(encoding="utf-8"))
    profile["local"] = [
        {
            "add_to": SECTIONS[i % len(SECTIONS)],
            "id": f"local.bench-{i}",
            "title": f"Local rule {i}",
            "text": f"Staff in team {i} check the shared calendar before they book a video call with a family.",
        }
        for i in range(count)
    ]
    path = folder / f"local-{count}.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def timed_build(profile: Path, out: Path, formats: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [str(BIN), "build", str(profile), "--out", str(out), "--format", formats, "--no-page-numbers"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1000,2500,5000,10000")
    parser.add_argument("--formats", default="md,docx")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policy-builder-bench-") as tmp:
        folder = Path(tmp)
        timed_build(profile_with(1, folder), folder / "warm", args.formats)  # warm the library snapshot
        print(f"{'local clauses':>14} {'wall s':>8} {'CPU s':>8} {'CPU s per 1,000':>16}")
        for count in (int(c) for c in args.counts.split(",")):
            wall, cpu = timed_build(profile_with(count, folder), folder / f"out-{count}", args.formats)
            print(f"{count:>14,} {wall:>8.1f} {cpu:>8.1f} {cpu / count * 1000:>16.2f}", flush=True)


if __name__ == "__main__":
    main()

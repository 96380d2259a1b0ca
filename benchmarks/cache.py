"""What the cache folder saves: CPU time of one build with and without each part of the cache.

    python benchmarks/cache.py [--runs 7]

The cache folder ($POLICY_BUILDER_CACHE) holds the library snapshot (library/, data only) and the
compiled templates (jinja/, with each snapshot's compiled texts and conditions in one file). Four
states are measured, interleaved so a busy machine slows each alike: both warm (every build of an
unchanged library), snapshot only (its compiled code gone, so the library is read afresh), compiled
templates only (a build just after the library was edited, when the snapshot is made again) and
neither (the first run).
CPU time (user + system of the child process) is reported, as wall time swings on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "policy-builder"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-cache-bench-") as temp:
        cache, out = Path(temp) / "cache", Path(temp) / "out"
        env = dict(os.environ, POLICY_BUILDER_CACHE=str(cache))

        def build() -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            command = [str(BIN), "build", "profiles/example-council.yaml", "--format", "md,docx", "--out", str(out)]
            subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

        def state(*remove: str):  # noqa: ANN202 - a setup function
            def setup() -> None:
                shutil.rmtree(cache, ignore_errors=True)
                build()  # everything warm
                for part in remove:
                    target = cache / part
                    if target.is_dir():
                        shutil.rmtree(target)
                    elif target.exists():
                        target.unlink()

            return setup

        cases = {
            "snapshot and compiled templates": state(),
            "snapshot only": state("jinja"),
            "compiled templates only": state("library"),
            "neither": state("jinja", "library", "names.json", "key"),
        }
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, setup in cases.items():
                setup()
                results[name].append(build())
        for name, times in results.items():
            print(f"{name:34s} CPU median {statistics.median(times):.3f} s, min {min(times):.3f} s")


if __name__ == "__main__":
    main()

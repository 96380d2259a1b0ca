"""Writes the golden Markdown policy for the example council (`make golden`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "example-council-social-media-policy.md"
BUILD_DATE = dt.date(2026, 11, 21)


def write_golden() -> None:
    from policy_builder.assemble import build_policy
    from policy_builder.library import load_library
    from policy_builder.profile import load_profile
    from policy_builder.render.markdown import render_policy

    library = load_library(ROOT / "clauses")
    answers = load_profile(
        ROOT / "profiles" / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    GOLDEN.write_text(render_policy(build_policy(library, answers)), encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")


if __name__ == "__main__":
    write_golden()

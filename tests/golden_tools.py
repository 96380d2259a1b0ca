"""Writes the golden Markdown policy, practice guide and sources annex for the example council (`make golden`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "golden"
GOLDEN = GOLDEN_DIR / "example-council-social-media-policy.md"
GOLDEN_GUIDE = GOLDEN_DIR / "example-council-practice-guide.md"
GOLDEN_ANNEX = GOLDEN_DIR / "example-council-sources-annex.md"
BUILD_DATE = dt.date(2026, 11, 21)


def example_documents() -> dict[Path, str]:
    """Each golden file -> the text the example council's build gives it now."""
    from policy_builder.content.library import load_library
    from policy_builder.pipeline.assemble import build_policy
    from policy_builder.pipeline.profile import load_profile
    from policy_builder.render.markdown import render_annex, render_guide, render_policy

    library = load_library(ROOT / "clauses")
    answers = load_profile(
        ROOT / "profiles" / "example-council.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE
    )
    policy = build_policy(library, answers)
    return {GOLDEN: render_policy(policy), GOLDEN_GUIDE: render_guide(policy), GOLDEN_ANNEX: render_annex(policy)}


def write_golden() -> None:
    for path, text in example_documents().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write_golden()

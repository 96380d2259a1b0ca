"""The whole pipeline for one profile: load, assemble, find gaps, render, write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .assemble import build_policy, policy_context
from .gaps import find_gaps
from .library import Library
from .models import Answers, GapWarning, Policy
from .output import atomic_write, output_paths
from .profile import load_profile

FORMATS = ("md", "docx")


@dataclass
class BuildResult:
    profile: Path
    policy: Policy
    warnings: list[GapWarning]
    written: list[Path]

    @property
    def answers(self) -> Answers:
        return self.policy.answers


def parse_formats(text: str) -> list[str]:
    from .errors import PolicyBuilderError

    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise PolicyBuilderError(f"--format: {', '.join(unknown) or 'nothing'} is not one of {', '.join(FORMATS)}")
    return formats


def build_profile(
    library: Library,
    profile: str | Path,
    out_dir: str | Path,
    formats: list[str] | tuple[str, ...] = FORMATS,
    *,
    build_date: dt.date | None = None,
) -> BuildResult:
    """Build one profile's policy and gap report into ``out_dir``.

    Everything is rendered in memory first, so a failure writes nothing and the
    previous policy stays as it was.
    """
    from .render.markdown import render_gap_report, render_policy

    answers = load_profile(profile, library.questionnaire, library.nations, build_date=build_date)
    policy = build_policy(library, answers)
    warnings = find_gaps(library, answers, policy_context(library, answers))
    rendered: dict[str, bytes | str] = {}
    if "md" in formats:
        rendered["md"] = render_policy(policy)
    if "docx" in formats:
        from .render.docx import render_docx

        rendered["docx"] = render_docx(policy)
    rendered["gaps"] = render_gap_report(policy, warnings)
    paths = output_paths(Path(out_dir), policy.slug)
    written = []
    for kind, content in rendered.items():
        atomic_write(paths[kind], content)
        written.append(paths[kind])
    return BuildResult(profile=Path(profile), policy=policy, warnings=warnings, written=written)

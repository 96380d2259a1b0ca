"""Rendering grows linearly with the number of local clauses (issue 18: Word was quadratic).

The full figures come from benchmarks/local_clauses.py (10,000 local clauses, md + docx). This test
is the cheap guard: CPU time per local clause at 1,600 clauses must stay within 2.5 times that at
400 (a quadratic step makes it 4 times; linear code stays near 1).
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from conftest import BUILD_DATE, PROFILES

from policy_builder.content.library import Library
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.docx import render_docx
from policy_builder.render.markdown import render_policy

SECTIONS = ("personal-use", "boundaries", "messaging", "video", "records", "training")


def cpu_per_clause(library: Library, tmp_path: Path, count: int) -> float:
    profile = yaml.safe_load((PROFILES / "example-council.yaml").read_text(encoding="utf-8"))
    profile["local"] = [
        {"add_to": SECTIONS[i % len(SECTIONS)], "id": f"local.scale-{i}", "title": f"Rule {i}", "text": f"Staff {i}."}
        for i in range(count)
    ]
    path = tmp_path / f"local-{count}.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    policy = build_policy(library, load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE))
    start = time.process_time()
    render_policy(policy)
    render_docx(policy)
    return (time.process_time() - start) / count


def test_rendering_time_per_local_clause_does_not_grow_with_their_number(library, tmp_path):
    cpu_per_clause(library, tmp_path, 50)  # warm: templates compiled, styles read
    small = min(cpu_per_clause(library, tmp_path, 400) for _ in range(2))
    large = cpu_per_clause(library, tmp_path, 1600)
    assert large < 2.5 * small, f"{large * 1000:.2f} ms per clause at 1,600 against {small * 1000:.2f} ms at 400"

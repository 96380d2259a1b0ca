"""Rendering grows linearly with the number of local clauses (issue 18: Word was quadratic).

The full figures come from benchmarks/local_clauses.py (10,000 local clauses, md + docx). This test
is the cheap guard: CPU time per local clause at 1,600 clauses must stay within 2.5 times that at
400 (a quadratic step makes it 4 times; linear code stays near 1). The tests after it guard the same
without a clock (issue 20): lookups among the Word body's children counted.
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


RUNS = iter(range(1_000_000))


def cpu_per_clause(library: Library, tmp_path: Path, count: int) -> float:
    # Each run's words differ, so none finds its document's blocks kept by an earlier one (render/kept_blocks.py):
    # a kept run skips the Markdown parse, and would make the smaller size look faster than it is.
    run = next(RUNS)
    profile = yaml.safe_load((PROFILES / "example-council.yaml").read_text(encoding="utf-8"))
    profile["local"] = [
        {
            "add_to": SECTIONS[i % len(SECTIONS)],
            "id": f"local.scale-{i}",
            "title": f"Rule {i}",
            "text": f"Staff {i} (run {run}).",
        }
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


# --- the same guard without a clock: operations counted, not timed (issue 20) --------------------------------

# What finds something among the body's children: each scans them, so one call per paragraph makes writing
# quadratic (python-docx's add_paragraph looks up the section properties this way for every paragraph; the
# writer found them on each paragraph until issue 18). Counted on the body and on the document element.
BODY_LOOKUPS = (
    "find", "findall", "iterfind", "findtext", "xpath", "iter", "iterchildren", "getchildren", "index",
    "__iter__", "__len__", "__getitem__", "__reversed__",
)  # fmt: skip
BODY_PROPERTIES = ("sectPr", "sectPr_lst", "p_lst", "tbl_lst", "inner_content_elements", "body")


def count_body_lookups(monkeypatch) -> dict[str, int]:
    from docx.oxml.document import CT_Body, CT_Document

    counts: dict[str, int] = {}

    def counted(name: str, method):
        def wrapper(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return method(*args, **kwargs)

        return wrapper

    for cls in (CT_Body, CT_Document):
        for name in BODY_LOOKUPS:
            monkeypatch.setattr(cls, name, counted(f"{cls.__name__}.{name}", getattr(cls, name)))
        for name in BODY_PROPERTIES:
            found = cls.__dict__.get(name)
            if isinstance(found, property):
                monkeypatch.setattr(cls, name, property(counted(f"{cls.__name__}.{name}", found.fget)))
    return counts


def local_policy(library: Library, tmp_path: Path, count: int):
    """The example council with ``count`` local clauses, each a paragraph with bold words, a hard line break
    and a two-item list (the paths of the Word writer a clause takes)."""
    profile = yaml.safe_load((PROFILES / "example-council.yaml").read_text(encoding="utf-8"))
    profile["local"] = [
        {
            "add_to": SECTIONS[i % len(SECTIONS)],
            "id": f"local.scale-{i}",
            "title": f"Rule {i}",
            "text": f"Staff **must** follow rule {i}.  \nA second line.\n\n- one thing\n- another thing\n",
        }
        for i in range(count)
    ]
    path = tmp_path / f"local-{count}.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return build_policy(library, load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE))


def test_word_rendering_looks_among_the_body_s_children_a_fixed_number_of_times(library, tmp_path, monkeypatch):
    render_docx(local_policy(library, tmp_path, 5))  # the first document: styles and template read once
    seen = []
    for count in (40, 160):
        policy = local_policy(library, tmp_path, count)
        counts = count_body_lookups(monkeypatch)
        render_docx(policy)
        seen.append(dict(counts))
        monkeypatch.undo()
    assert seen[0] == seen[1], f"lookups among the body's children grow with the paragraphs: {seen}"

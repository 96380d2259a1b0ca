"""Source summaries are printed whole: in the register, in the sources annex and in the wizards' "Why we ask"."""

import re
from pathlib import Path

import pytest
import yaml
from conftest import BUILD_DATE, PROFILES, ROOT

from policy_builder.core.templating import markdown_escape
from policy_builder.pipeline.assemble import build_policy
from policy_builder.pipeline.profile import load_profile
from policy_builder.render.markdown import render_annex

SHARED_ITEMS = ROOT.parent / "shared" / "guidance" / "source-items.yaml"


def test_every_guidance_summary_is_the_whole_registered_passage(library):
    if not SHARED_ITEMS.exists():
        pytest.skip("../shared/guidance is not beside this clone")
    shared = yaml.safe_load(SHARED_ITEMS.read_text(encoding="utf-8"))["items"]
    guidance = {k: v for k, v in library.items.items() if k in shared}
    assert len(guidance) >= 120
    cut = {k: item.summary for k, item in guidance.items() if item.summary != str(shared[k]).strip()}
    assert cut == {}


@pytest.mark.parametrize("name", ["example-council", "scottish-council"])
def test_sources_annex_prints_each_cited_summary_whole(library, name: str):
    answers = load_profile(PROFILES / f"{name}.yaml", library.questionnaire, library.nations, build_date=BUILD_DATE)
    policy = build_policy(library, answers)
    text = render_annex(policy)
    appendix = text[re.search(r"^## \d+\. Items by document$", text, re.M).start() :]
    printed = [item for cited in policy.annex_sources for item in cited.items]
    assert len(printed) > 50
    for item in printed:
        summary = markdown_escape(library.items[item.id].summary)
        assert f"**{item.id}**: {summary} (clause" in appendix, item.id
    # The two summaries the review found cut at their first comma.
    assert "Keep own, family and friends' identity safe." in appendix
    assert "Never search, access or use service users' social media" in appendix


def test_a_summary_cut_short_is_refused(tmp_path: Path):
    from policy_builder.content.library import load_library
    from policy_builder.core.errors import LibraryError

    library = tmp_path / "clauses"
    library.mkdir()
    for path in (ROOT / "clauses").glob("*"):
        (library / path.name).write_bytes(path.read_bytes())
    sources = library / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace(
            "items:\n", "items:\n  BASW-NEW:\n    document: BASW\n    summary: Keep own\n", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match="BASW-NEW: the summary looks cut short"):
        load_library(library)

import json

import yaml
from click.testing import CliRunner
from conftest import ROOT

from policy_builder.checks.coverage import coverage
from policy_builder.cli import main
from policy_builder.render.plain import plain_sentences


def shared_item_ids() -> list[str]:
    """The ids of every citable passage of the five guidance documents."""
    shared = ROOT.parent / "shared" / "guidance" / "source-items.yaml"
    if shared.exists():
        return list(yaml.safe_load(shared.read_text(encoding="utf-8"))["items"])
    return [i for i in yaml.safe_load((ROOT / "clauses" / "sources.yaml").read_text())["items"] if "-" in i]


def test_every_guidance_item_is_registered_and_cited_or_marked(library):
    report = coverage(library)
    for item in shared_item_ids():
        assert item in report.items, f"{item} is not in clauses/sources.yaml"
        assert report.items[item] or item in report.not_applicable, f"{item} is uncovered"
    assert report.uncovered == []


def test_library_has_the_depth_the_guidance_needs(library):
    assert coverage(library).clause_count >= 90
    assert len(library.sections) >= 12


def test_coverage_json_shape():
    result = CliRunner().invoke(main, ["coverage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"items", "uncovered", "not_applicable", "clause_count", "readability"} <= set(data)
    assert data["uncovered"] == []
    assert data["items"]["REG-SWE-STANDARDS"], "the English regulator clause cites the standards"
    readability = data["readability"]
    assert 30 < readability["median_reading_ease"] < 100
    assert len(readability["hardest"]) == 5


def test_coverage_text_ends_with_the_totals():
    result = CliRunner().invoke(main, ["coverage"])
    assert result.exit_code == 0
    assert "0 uncovered." in result.output
    assert "Readability (Flesch reading ease, higher is easier): median" in result.output


def test_plain_sentences_counts_list_items_as_sentences():
    text = "Staff must:\n\n- keep it short;\n- use **plain** words\n\nThat is all."
    assert plain_sentences(text) == "Staff must. keep it short. use plain words. That is all."

"""The audit report a principal social worker takes to a board (issue 19, after the fresh-eyes review in
/work/coord/audit-review.md): whose rules were judged, counts that add up, short, the best quote shown."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from conftest import ROOT, run

from policy_builder.audit import audit_document
from policy_builder.audit.api import infer_scope, maybe, possible_clauses
from policy_builder.audit.read import read_passages
from policy_builder.audit.report import board_summary, render_markdown
from policy_builder.content.library import Library

HOLDOUT = ROOT / "tests" / "audit" / "holdout"
WELSH = HOLDOUT / "welsh-council-note.docx"
HOME_CARE = HOLDOUT / "home-care-handbook.txt"
SCOTTISH = ROOT / "tests" / "audit" / "documents" / "scottish-hscp.md"


@pytest.fixture(scope="module")
def welsh(library: Library):
    return audit_document(WELSH, library)


@pytest.fixture(scope="module")
def welsh_report(welsh, library: Library) -> str:
    return render_markdown(welsh, library)


# --- 1. whose rules: the nation and employer type ---------------------------------------------------------------


def test_the_nation_and_type_the_document_states_are_inferred(welsh) -> None:
    assert (welsh.nation, welsh.employer_type) == ("wales", "local_authority")
    assert welsh.scope.source == "document" and welsh.scope.evidence["nation"] == "Social Care Wales"
    scottish = infer_scope(read_passages(SCOTTISH))
    assert (scottish.nation, scottish.employer_type) == ("scotland", "local_authority")
    # "Scottish Social Services Council" is a regulator, not a council employer; no signal, no guess
    path = ROOT / "tests" / "audit" / "documents" / "charity-code.md"
    assert infer_scope(read_passages(path)).employer_type is None


def test_another_nations_law_is_neither_missing_nor_reflected(welsh, welsh_report: str, library: Library) -> None:
    for finding in welsh.findings:
        for item in finding.sources:
            document = library.documents[library.items[item].document]
            assert document.applies_in("wales", "local_authority"), (finding.action, item)
            assert not library.items[item].nations or "wales" in library.items[item].nations
    for foreign in ("(Scotland)", "Northern Ireland Act 1998", "Justice Act (Northern Ireland)", "NISCC"):
        assert foreign not in welsh_report, foreign
    assert "for a local authority (council) in Wales, as the document states" in welsh_report


def test_a_profile_sets_the_nation_and_leaves_out_other_nations_guidance_rows(tmp_path: Path, library: Library) -> None:
    profile = tmp_path / "welsh.yaml"
    text = (ROOT / "profiles" / "example-council.yaml").read_text(encoding="utf-8")
    profile.write_text(re.sub(r"nation: \w+", "nation: wales", text, count=1), encoding="utf-8")
    audit = audit_document(WELSH, library, profile)
    assert audit.nation == "wales" and audit.scope.source == "profile"
    report = render_markdown(audit, library)
    guidance = report.split("## The guidance behind our rules")[1]
    assert "Scotland" not in guidance and "Northern Ireland" not in guidance
    assert "from the profile" in report


def test_a_rule_only_for_councils_is_not_judged_for_a_home_care_provider(library: Library) -> None:
    audit = audit_document(HOME_CARE, library)
    assert audit.employer_type == "independent_provider" and audit.scope.evidence["employer_type"] == "LTD"
    welsh_actions = {f.action for f in audit_document(WELSH, library).findings}
    for action in ("posting.political", "records.pass-on-information-request"):
        # politically restricted posts bind councils; FOI binds public bodies, in every nation's list of them
        assert action not in {f.action for f in audit.findings}, action
        assert action in welsh_actions, action
    # no nation signal: said once, in the summary
    report = render_markdown(audit, library)
    assert report.count("Nation not known: rules for every nation were checked.") == 1


def test_a_condition_with_only_nation_and_type_known_is_three_valued() -> None:
    known = {"organisation": {"nation": "wales", "type": "voluntary"}, "nation": {"foi_types": ["local_authority"]}}
    assert maybe("organisation.type == 'local_authority' and surveillance.powers != 'x'", known) is False
    assert maybe("organisation.type == 'voluntary' and surveillance.powers != 'x'", known) is None
    assert maybe("organisation.type == 'voluntary' or surveillance.powers != 'x'", known) is True
    assert maybe("organisation.type in nation.foi_types", known) is False
    assert maybe("not (organisation.nation == 'wales')", known) is False
    assert maybe("messaging.record_method is none", known) is None


def test_with_neither_known_every_clause_may_apply(library: Library) -> None:
    assert len(possible_clauses(library, None, None)) == len(library.clauses)
    english_provider = {c.id for c in possible_clauses(library, "england", "independent_provider")}
    assert "personal-use.political-posts" not in english_provider


# --- 2. the board summary holds together ------------------------------------------------------------------------


def test_the_counts_add_up_and_addresses_says_what_it_counts(welsh, library: Library) -> None:
    covers, contradicts, misses = (len(welsh.of(v)) for v in ("covers", "contradicts", "misses"))
    assert covers + contradicts + misses == len(welsh.findings)
    summary = board_summary(welsh, library)
    # only plain covers are "in agreement"; choices to confirm and passages to check are counted apart
    plain = sum(1 for f in welsh.of("covers") if f.position != "depends")
    assert (
        f"Of the {len(welsh.findings)} rules checked, welsh-council-note.docx addresses {covers + contradicts} "
        f"({plain} in agreement with our rule"
    ) in summary
    assert f"and {contradicts} against it) and says nothing on {misses}." in summary


def test_high_misses_are_musts_resting_on_law(library: Library) -> None:
    for path in (WELSH, HOME_CARE):
        audit = audit_document(path, library)
        high = [f for f in audit.of("misses") if f.severity == "high"]
        assert high
        for finding in high:
            assert re.match(r"(Staff|Managers|The [\w' ]+) must ", finding.requirement), finding.requirement
            assert any(library.items[s].document.startswith(("LAW-", "CODE-")) for s in finding.sources)
        # a "should" (refuse optional cookies) in a clause whose level is must is not high
        assert audit.finding("records.refuse-tracking").severity == "low"
        assert not any(f.requirement.startswith("Decide whether") and f.severity == "high" for f in audit.findings)


# --- 3. short enough for a board ---------------------------------------------------------------------------------


def test_the_report_is_short_and_says_each_thing_once(welsh_report: str, library: Library) -> None:
    first = welsh_report.split("## What to add first")[1].split("\n## ")[0]
    items = [line for line in first.splitlines() if line.startswith("- ")]
    assert 0 < len(items) <= 10
    for title in {d.title for d in library.documents.values()}:
        assert welsh_report.count(title) <= 1, title
    assert welsh_report.count("check each fits your stance") == 1
    assert "Only some employers' policies hold this rule" not in welsh_report
    quotes = re.findall(r'^- "(.+?)" \(', welsh_report, flags=re.M)
    assert len(quotes) == len(set(quotes)), "a sentence quoted twice"
    assert len(welsh_report.split()) < 6000  # 8,539 words before


# --- 4. the best quote, every section ----------------------------------------------------------------------------


def test_the_plainest_sentence_is_shown_and_every_section_with_a_finding_appears(library: Library) -> None:
    audit = audit_document(HOME_CARE, library)
    assert audit.finding("devices.lock").evidence.sentence == "Keep your phone locked with a PIN at all times."
    # a question of stance (may staff photograph?) answered by two sentences: the one about taking photos
    photos = audit.finding("photos.take")
    assert photos.evidence.sentence == "Care workers must not take photographs of customers or their homes."
    report = render_markdown(audit, library)
    assert "### 9.5 Photos" in report
    assert '"Care workers must not take photographs of customers or their homes."' in report
    headings = {e.passage.heading for f in audit.findings for e in (f.evidence, *f.also) if e is not None}
    for heading in headings:
        assert f"### {heading}" in report, heading


# --- 5. small things ---------------------------------------------------------------------------------------------


def test_a_covered_question_is_worded_as_the_document_decided(welsh, welsh_report: str) -> None:
    assert not re.search(r"\*\*Covers:\*\* Decide whether", welsh_report)
    groups = welsh.finding("messaging.group-chat")
    assert groups.verdict == "covers"
    # what the document decided, for the employer to confirm: not a contradiction, not a miss (issue 19)
    assert groups.requirement == (
        "Your policy does not let staff create or join a group chat that includes people who use services, their "
        "families or carers: a choice the questionnaire asks you to confirm, as employers differ on it."
    )
    assert "**Your choice:** Your policy does not let staff create or join a group chat" in welsh_report
    assert groups.position == "depends"  # the library's position is unchanged; only the words follow the document


def test_headings_show_no_markdown_escapes(tmp_path: Path, welsh_report: str, library: Library) -> None:
    assert "### 1. Why this note" in welsh_report and "1\\." not in welsh_report
    output = tmp_path / "report.docx"
    result = run("audit", WELSH, "--output", output, library=library)
    assert result.exit_code == 0, result.output
    headings = [p.text for p in docx.Document(str(output)).paragraphs if p.style.name.startswith("Heading")]
    assert "1. Why this note" in headings, headings


def test_the_terminal_says_whose_rules(library: Library) -> None:
    result = run("audit", WELSH, library=library)
    assert result.exit_code == 0, result.output
    assert "Judged against the rules and guidance for a local authority (council) in Wales" in result.output


def test_a_bullet_is_cited_as_an_item_not_a_paragraph(tmp_path: Path) -> None:
    """The review read "section 9.4, paragraph 2" as the second paragraph; it was the first bullet."""
    passages = read_passages(HOME_CARE)
    photos = next(p for p in passages if p.text.startswith("Never post photos taken"))
    assert photos.where == "section 9.4, paragraph 1, item 1"
    path = tmp_path / "list.md"
    path.write_text(
        "## 3 Posting\n\n- Never post photos.\n- Never name a family.\n\nAsk if unsure.\n", encoding="utf-8"
    )
    assert [p.where for p in read_passages(path)] == [
        "section 3, item 1",
        "section 3, item 2",
        "section 3, paragraph 1",
    ]


def test_recording_a_call_on_the_case_system_is_a_note_not_a_contradiction(welsh_report: str) -> None:
    """The review's false 'serious' contradiction: 2.2 "record the call on WCCIS" (make a case note) was read
    as recording a video call. Now 6.1 "Do not record the meeting" covers the rule and nothing contradicts it."""
    assert "**Contradicts (high):** Staff must not record a video" not in welsh_report
    assert '"Do not record the meeting." (section 6.1). **Covers:** Staff must not record a video call' in welsh_report


def test_a_contradiction_shows_a_sentence_that_states_our_rule(library: Library) -> None:
    """A document that both forbids and allows a thing: the report puts the sentence that states our rule
    beside the contradiction, so a reader can weigh both."""
    audit = audit_document(ROOT / "tests" / "audit" / "documents" / "planted-contradictions.md", library)
    line = next(
        line
        for line in render_markdown(audit, library).splitlines()
        if line.startswith('- "3.2 Staff may accept friend requests')
    )
    assert "**Contradicts (high):** Staff must not send or accept a friend" in line
    assert 'Yet the document also says "3.1 You should not accept friend requests' in line


def test_an_nhs_trust_is_named_with_its_article(library: Library) -> None:
    audit = audit_document(ROOT / "tests" / "audit" / "documents" / "nhs-trust.docx", library)
    assert "for an NHS trust or health board in England, as the document states" in board_summary(audit, library)


def test_the_terminal_says_how_to_name_the_nation(library: Library) -> None:
    result = run("audit", HOME_CARE, library=library)
    assert result.exit_code == 0, result.output
    assert (
        "Nation not known: rules for every nation were checked. Give --profile to judge one nation's rules."
        in result.output
    )

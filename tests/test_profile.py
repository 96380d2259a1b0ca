import pytest
import yaml
from conftest import BUILD_DATE, PROFILES, base_profile, with_answers

from policy_builder.core.errors import ProfileError
from policy_builder.pipeline.profile import load_profile


def load(library, path):
    return load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)


def error_for(library, write_profile, text: str) -> str:
    with pytest.raises(ProfileError) as info:
        load(library, write_profile(text, "x.yaml"))
    return str(info.value).split("x.yaml", 1)[1]


REQUIRED = """schema: 1
organisation:
  name: Test Council
  nation: england
  type: local_authority
  services: [children]
document:
  owner: Principal Social Worker
"""


def test_minimal_profile_loads_and_reports_defaults(library, write_profile):
    answers = load(library, write_profile(REQUIRED))
    assert answers["organisation.short_name"] == "Test Council"
    assert answers["messaging.whatsapp"] == "not_allowed"
    assert answers["document.effective_date"] == BUILD_DATE
    assert "messaging.whatsapp" in answers.defaults_used
    assert "organisation.name" not in answers.defaults_used


def test_value_outside_choices_names_line_question_and_allowed(library, write_profile):
    text = REQUIRED + "messaging:\n  whatsapp: sometimes\n"
    assert error_for(library, write_profile, text) == (
        ":10: messaging.whatsapp: 'sometimes' is not one of not_allowed, keep_in_touch, permitted"
    )


def test_unknown_question_suggests_the_close_one(library, write_profile):
    text = REQUIRED + "messaging:\n  whatsap: permitted\n"
    message = error_for(library, write_profile, text)
    assert message.startswith(":10: unknown question 'messaging.whatsap' (did you mean 'whatsapp'?)")


def test_unknown_section_suggests_the_close_one(library, write_profile):
    message = error_for(library, write_profile, REQUIRED + "mesaging:\n  whatsapp: permitted\n")
    assert message.startswith(":9: unknown key 'mesaging' (did you mean 'messaging'?)")


def test_missing_required_answer_names_the_question(library, write_profile):
    text = REQUIRED.replace("  nation: england\n", "")
    message = error_for(library, write_profile, text)
    assert "organisation.nation: an answer is required (one of england, wales, scotland, northern_ireland)" in message


def test_missing_schema_is_an_error(library, write_profile):
    assert error_for(library, write_profile, REQUIRED.replace("schema: 1\n", "")) == (
        ":1: missing 'schema: 1' at the top of the profile"
    )


def test_list_where_a_mapping_belongs(library, write_profile):
    message = error_for(library, write_profile, REQUIRED + "messaging: [whatsapp]\n")
    assert message.startswith(":9: messaging: expected a mapping of answers")


def test_empty_profile(library, write_profile):
    assert "the profile is empty" in error_for(library, write_profile, "")


def test_answers_to_questions_that_do_not_apply_are_ignored_with_a_note(library, answers_for):
    profile = with_answers(base_profile(), messaging__whatsapp="not_allowed", messaging__group_chats=True)
    answers = answers_for(profile)
    assert "messaging.group_chats" in answers.not_applicable
    assert answers["messaging.group_chats"] is False


def test_blank_short_name_falls_back_to_the_name(library, answers_for):
    answers = answers_for(with_answers(base_profile(), organisation__short_name=None))
    assert answers["organisation.short_name"] == "London Borough of Eastbrook"


def test_bundled_example_profiles_load(library):
    from conftest import PROFILES

    for path in sorted(PROFILES.glob("*.yaml")):
        load(library, path)


def test_a_blank_word_template_is_not_reported_as_a_default_used(library, tmp_path):
    """Issue 17's trial: leaving the optional Word template blank on purpose read as a mistake in the gap
    report's "Defaults used". A blank default puts nothing in the policy, so it is not listed."""
    profile = yaml.safe_load((PROFILES / "example-council.yaml").read_text(encoding="utf-8"))
    profile["document"].pop("reference_docx", None)
    profile["document"].pop("review_months", None)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    answers = load_profile(path, library.questionnaire, library.nations)
    assert "document.reference_docx" not in answers.defaults_used
    assert "document.review_months" in answers.defaults_used  # a default that is printed is still listed

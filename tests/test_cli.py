"""The command line, through CliRunner: exit codes and what the user reads."""

import json
import os
import re
import shutil
import subprocess
import sys

import click
from click.testing import CliRunner
from conftest import PROFILES, ROOT, base_profile, with_answers

from policy_builder.cli import COMMANDS, main

EXAMPLE = str(PROFILES / "example-council.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def commands() -> dict[str, click.Command]:
    """Every subcommand by name, each imported from its module as running it would."""
    ctx = click.Context(main)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    assert None not in found.values()
    return found


def test_build_writes_policy_gap_report_and_manifest_and_prints_their_paths(tmp_path):
    result = run("build", EXAMPLE, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "eastbrook-council-gap-report.md",
        "eastbrook-council-manifest.json",
        "eastbrook-council-practice-guide.docx",
        "eastbrook-council-practice-guide.md",
        "eastbrook-council-social-media-policy.docx",
        "eastbrook-council-social-media-policy.md",
        "eastbrook-council-sources-annex.docx",
        "eastbrook-council-sources-annex.md",
    ]
    for name in names:
        assert name in result.output
    assert "Gaps for Eastbrook Council: 0 high, 1 medium, 0 low" in result.output


def test_build_markdown_only(tmp_path):
    result = run("build", EXAMPLE, "--out", str(tmp_path), "--format", "md")
    assert result.exit_code == 0
    assert not list(tmp_path.glob("*.docx"))


def test_unknown_format_is_a_usage_error(tmp_path):
    result = run("build", EXAMPLE, "--out", str(tmp_path), "--format", "html")
    assert result.exit_code == 2
    assert result.output == "Error: --format: html is not one of md, docx, summary, leaflet, pdf\n"


def test_strict_exits_1_on_a_high_gap(tmp_path):
    charity = str(PROFILES / "small-charity-wales.yaml")
    result = run("build", charity, "--out", str(tmp_path), "--strict")
    assert result.exit_code == 1
    assert "HIGH" in result.output
    assert run("build", EXAMPLE, "--out", str(tmp_path), "--strict").exit_code == 0


def test_bad_profile_is_one_line_exit_2_and_keeps_the_last_good_policy(tmp_path, write_profile):
    good = with_answers(base_profile())
    path = write_profile(good, "council.yaml")
    assert run("build", str(path), "--out", str(tmp_path / "out")).exit_code == 0
    policy = tmp_path / "out" / "eastbrook-council-social-media-policy.md"
    before = policy.read_text()
    text = path.read_text().replace("whatsapp: keep_in_touch", "whatsapp: sometimes")
    path.write_text(text)
    result = run("build", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "sometimes" in row)
    assert result.output.strip().splitlines()[0] == (
        f"Error: {path}:{line}: messaging.whatsapp: 'sometimes' is not one of not_allowed, keep_in_touch, permitted"
    )
    assert "Traceback" not in result.output
    assert policy.read_text() == before


def test_build_runs_without_cycle_collection_and_turns_it_back_on(tmp_path, monkeypatch):
    """A build runs with Python's automatic cycle collection off (its passes cost a build 5-10 % of its CPU), and
    a process that goes on after the command (this one) gets its collector back, so its memory does not grow."""
    import gc

    import policy_builder.build as build_module

    during = []
    real = build_module.build_profile

    def recording(*args, **kwargs):
        during.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "build_profile", recording)
    assert gc.isenabled()
    result = run("build", EXAMPLE, "--out", str(tmp_path), "--format", "md")
    assert result.exit_code == 0, result.output
    assert during == [False]
    assert gc.isenabled()
    failed = run("build", EXAMPLE, "--out", str(tmp_path), "--format", "html")  # an error inside the command
    assert failed.exit_code == 2 and gc.isenabled()


def test_several_profiles_build_the_good_ones_and_report_the_bad(tmp_path, write_profile):
    bad = write_profile("schema: 1\norganisation: [oops]\n", "bad.yaml")
    result = run("build", str(bad), EXAMPLE, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "bad.yaml:2: organisation: expected a mapping of answers" in result.output
    assert "1 of 2 profiles failed." in result.output
    assert (tmp_path / "eastbrook-council-social-media-policy.md").exists()


def test_missing_profile_file(tmp_path):
    result = run("build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path))
    assert result.exit_code == 2
    first = result.output.splitlines()[0]
    assert first.startswith("Error: ") and first.endswith("nope.yaml: file not found")


def test_gaps_json_has_the_documented_fields():
    result = run("gaps", str(PROFILES / "small-charity-wales.yaml"), "--json")
    assert result.exit_code == 0
    warnings = json.loads(result.output)
    fields = {"id", "severity", "cause", "unanswered", "unanswered_prompts", "message", "recommendation"}
    assert warnings and all(set(w) == fields | {"questions", "sources"} for w in warnings)
    assert warnings[0]["severity"] == "high"
    # The charity leaves questions of fact out: those gaps are still to decide, the rest are findings.
    assert {w["cause"] for w in warnings} == {"answer", "unanswered"}
    assert all(bool(w["unanswered"]) == (w["cause"] == "unanswered") for w in warnings)


def test_gaps_text_names_rule_and_recommendation():
    result = run("gaps", str(PROFILES / "small-charity-wales.yaml"))
    assert result.exit_code == 0
    assert "[high] gap.messages-not-recorded" in result.output
    assert "Recommendation:" in result.output


def test_questions_lists_every_question():
    result = run("questions", "--json")
    rows = json.loads(result.output)
    assert len(rows) == 60
    whatsapp = next(r for r in rows if r["id"] == "messaging.whatsapp")
    assert [c["value"] for c in whatsapp["choices"]] == ["not_allowed", "keep_in_touch", "permitted"]
    text = run("questions").output
    assert "4. Messaging and video" in text
    assert "  messaging.whatsapp  (one of not_allowed, keep_in_touch, permitted; default: not_allowed)" in text


def test_lint_passes_on_the_bundled_library(library, bundled_lint, monkeypatch):
    # The lint itself ran once for the whole test run (bundled_lint); here, what the command prints of it.
    # (tests/test_install.py runs the real command end to end, from the installed wheel.)
    from policy_builder.checks import lint

    def once(checked, checks):
        assert checked.root == library.root and tuple(checks) == lint.CHECKS
        return bundled_lint

    monkeypatch.setattr(lint, "lint_report", once)
    result = run("lint")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Library OK: ")
    # Duplicate rulings are allowed until the lead switches one_rule_one_place on (docs/writing-clauses.md).
    assert re.fullmatch(
        r"Rules: \d+ stances checked, 0 contradictions, \d+ duplicate rulings"
        r"( allowed until one_rule_one_place is on)? \(\d+\.\d s\)\.",
        lines[1],
    )
    # The rest are notes, not failures: clauses with no wording yet for an unanswered question
    # (see test_unanswered).
    assert all(line.startswith("Note: ") for line in lines[2:])


def test_lint_runs_only_the_checks_asked_for_and_names_a_wrong_one(tmp_path):
    library = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", library)
    (library / "library.yaml").write_text('version: "9.9.9"\n', encoding="utf-8")  # no changelog entry for it
    result = run("--library", str(library), "lint", "--only", "versions", "--only", "glued-words")
    assert result.exit_code == 1
    assert "no '## 9.9.9' entry for the library version" in result.output
    assert "Rules: " not in result.output, "the rules check was not asked for"
    (library / "library.yaml").write_text((ROOT / "clauses" / "library.yaml").read_text(encoding="utf-8"))
    result = run("--library", str(library), "lint", "--only", "glued-words", "--only", "versions")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(" questions. Checked only: glued-words, versions.")
    result = run("lint", "--only", "grups")
    assert result.exit_code == 2
    assert "Invalid value for --only: no check named grups; one of questionnaire, sections," in result.output


def test_version_and_help():
    assert re.fullmatch(r"policy-builder, version \d+\.\d+\.\d+\n", run("--version").output)
    for command in ("build", "gaps", "questions", "lint", "coverage"):
        assert run(command, "--help").exit_code == 0


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in commands():
        assert f"policy-builder {command}" in readme, command


def test_help_lists_every_command_from_the_table_and_imports_none_of_them():
    # The table's line for each command is the first line of the command's own docstring, as click shows it.
    for name, command in commands().items():
        assert command.name == name
        assert (command.help or "").split("\n\n")[0].strip() == COMMANDS[name][2], name
    code = (
        "import sys; from policy_builder.cli import main\n"
        "try: main(['--help'])\n"
        "except SystemExit: pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('policy_builder'))))"
    )
    env = {**os.environ, "COLUMNS": "80"}  # the width the short help is cut to
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    lines = done.stdout.splitlines()
    assert lines[-1] == "policy_builder policy_builder.cli policy_builder.core policy_builder.core.terminal"
    listed = lines[lines.index("Commands:") + 1 : -1]
    assert [line.split()[0] for line in listed if line.startswith("  ") and line[2] != " "] == sorted(COMMANDS)
    assert "  check-docx  Check Word files are accessible and structured for..." in listed


def test_parallel_build_prints_the_same_as_serial(tmp_path):
    profiles = [str(p) for p in sorted(PROFILES.glob("*.yaml"))][:3]
    serial = run("build", *profiles, "--out", str(tmp_path / "a"), "--format", "md", "--jobs", "1")
    parallel = run("build", *profiles, "--out", str(tmp_path / "b"), "--format", "md", "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 0
    assert serial.output.replace(str(tmp_path / "a"), "OUT") == parallel.output.replace(str(tmp_path / "b"), "OUT")
    for name in (p.name for p in (tmp_path / "a").iterdir()):
        if name.endswith("-policy.md"):
            assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_commands_use_the_library_given_in_the_typed_context_and_load_none_themselves(library, monkeypatch):
    import policy_builder.content.library as library_module
    import policy_builder.content.questionnaire as questionnaire_module
    from policy_builder.cli import CliContext

    def no_loading(*args: object) -> None:
        raise AssertionError("a command loaded the library again")

    monkeypatch.setattr(library_module, "load_library", no_loading)
    monkeypatch.setattr(questionnaire_module, "load_questionnaire", no_loading)
    given = CliContext(loaded=library)
    gaps = CliRunner().invoke(main, ["gaps", EXAMPLE, "--json"], obj=given, catch_exceptions=False)
    assert gaps.exit_code == 0 and isinstance(json.loads(gaps.output), list)
    questions = CliRunner().invoke(main, ["questions", "--json"], obj=given, catch_exceptions=False)
    assert {q["id"] for q in json.loads(questions.output)} == set(library.questionnaire.questions)
    assert given.loaded is library


def test_library_option_reaches_the_typed_context(tmp_path):
    missing = tmp_path / "no-library"
    result = CliRunner().invoke(main, ["--library", str(missing), "gaps", EXAMPLE])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {missing}: clause library folder not found"


def marked_library(folder, marker: str):
    """A copy of the bundled library whose first question's prompt starts with ``marker``."""
    shutil.copytree(ROOT / "clauses", folder)
    path = folder / "questionnaire.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    prompt: " in text
    path.write_text(text.replace("    prompt: ", f"    prompt: {marker} ", 1), encoding="utf-8")
    return folder


def first_prompt(result) -> str:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)[0]["prompt"]


def test_library_is_taken_before_or_after_the_command_name_and_the_later_one_wins(tmp_path, monkeypatch):
    alpha = str(marked_library(tmp_path / "alpha", "Alpha"))
    beta = str(marked_library(tmp_path / "beta", "Beta"))
    assert first_prompt(run("--library", alpha, "questions", "--json")).startswith("Alpha ")
    assert first_prompt(run("questions", "--library", alpha, "--json")).startswith("Alpha ")
    assert first_prompt(run("questions", "--json", "--library", beta)).startswith("Beta ")
    # Both given: the one after the command name, which comes later on the line.
    assert first_prompt(run("--library", alpha, "questions", "--library", beta, "--json")).startswith("Beta ")
    assert first_prompt(run("--library", beta, "questions", "--library", alpha, "--json")).startswith("Alpha ")
    # The environment variable stands for the option before the command name.
    monkeypatch.setenv("POLICY_BUILDER_LIBRARY", alpha)
    assert first_prompt(run("questions", "--json")).startswith("Alpha ")
    assert first_prompt(run("questions", "--library", beta, "--json")).startswith("Beta ")


def test_lint_checks_the_library_named_after_the_command(tmp_path):
    library = tmp_path / "clauses"
    shutil.copytree(ROOT / "clauses", library)
    (library / "library.yaml").write_text('version: "9.9.9"\n', encoding="utf-8")  # no changelog entry for it
    result = run("lint", "--library", str(library), "--only", "versions")
    assert result.exit_code == 1
    assert "no '## 9.9.9' entry for the library version" in result.output
    # Before the command name, another library; after it, this one: this one is checked.
    result = run("--library", str(ROOT / "clauses"), "lint", "--only", "versions", "--library", str(library))
    assert result.exit_code == 1
    assert "no '## 9.9.9' entry for the library version" in result.output
    result = run("--library", str(library), "lint", "--only", "versions", "--library", str(ROOT / "clauses"))
    assert result.exit_code == 0, result.output
    missing = tmp_path / "no-library"
    result = CliRunner().invoke(main, ["lint", "--library", str(missing)])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {missing}: clause library folder not found"


def test_every_command_that_reads_the_library_takes_the_option_after_its_name():
    takes = {name for name, command in commands().items() if any(p.name == "library_dir" for p in command.params)}
    assert takes == set(COMMANDS) - {"check-docx"}  # check-docx reads Word files only
    for name in sorted(takes):
        result = run(name, "--help")
        assert "--library" in result.output, name
    result = CliRunner().invoke(main, ["gaps", "--library", str(ROOT / "profiles"), "--library"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: Option '--library' requires an argument."  # one line, as every usage error

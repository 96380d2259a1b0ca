from __future__ import annotations

import copy
import datetime as dt
import functools
import os
import pickle
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

try:
    import fcntl  # the lock that lets xdist's workers share a result (once_per_run)
except ImportError:  # Windows has no fcntl: each worker then computes its own
    fcntl = None  # type: ignore[assignment]  # the module, or None where there is none

import pytest
import yaml
from click.testing import CliRunner, Result
from jinja2.bccache import Bucket, BytecodeCache

from policy_builder.cli import CliContext, main
from policy_builder.content.library import Library, load_library
from policy_builder.content.models import Answers
from policy_builder.pipeline.profile import load_profile

# Builds leave the Word contents' page numbers to Word unless a test asks for them: laying each document out
# with LibreOffice costs seconds a build (tests/test_pdf_build.py tests it). Set before any build runs, so
# the web app's and the wizard's builds in subprocesses inherit it.
os.environ.setdefault("POLICY_BUILDER_PAGE_NUMBERS", "0")

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
BUILD_DATE = dt.date(2026, 11, 21)
T = TypeVar("T")


# --- which worker runs which test (make test: pytest -n auto --dist loadgroup) ---------------------------
# Tests are handed out one by one, so the two workers finish together (whole files made one worker wait
# on test_web.py while the other sat idle). These files stay whole on one worker, because their module
# fixtures cost seconds and would otherwise be built on both: the wheel and its virtual environment,
# LibreOffice's PDFs, the covering set of stances, the upgrade fixtures, the eighteen employers' policies,
# the one Chromium of the browser tests, the audit's accuracy on the labelled set, the library at twice its
# size, the audit of a policy that takes the choices employers differ on, textstat's pronouncing dictionary
# (1.3 s a process; test_reading.py compares with it), the package's imports (parsed once: three tests walk
# them).
# (xdist's own loadgroup reads xdist_group marks by renaming test ids, which pytest 9 no longer allows.)
ONE_WORKER = frozenset(
    {
        "test_architecture.py",
        "test_audit.py",
        "test_audit_stance.py",
        "test_browser.py",
        "test_install.py",
        "test_library_scale.py",
        "test_pdf.py",
        "test_pdf_build.py",
        "test_reading.py",
        "test_rules.py",
        "test_upgrade.py",
        "test_nations_and_employers.py",
    }
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneByOne(LoadScopeScheduling):
        """Each test its own unit of work, except the files in ONE_WORKER (one unit each, handed out first:
        xdist sends the units with the most tests first)."""

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.rsplit("/", 1)[-1] in ONE_WORKER else nodeid

    return OneByOne(config, log)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(ROOT / "clauses")


def audit_text(tmp_path: Path, library: Library, text: str, name: str = "policy.md") -> Any:
    """The audit of a short policy text of our own, written to ``tmp_path/name`` (the audit's rule tests)."""
    from policy_builder.audit import audit_document

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return audit_document(path, library)


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once for the whole test run, not once per xdist worker: the first worker to ask computes
    it and leaves it pickled in the run's own temporary folder (shared by the workers, new each run), where
    the others read it. Only for results a test reads and never changes (a session fixture's)."""
    if "PYTEST_XDIST_WORKER" not in os.environ or fcntl is None:
        return compute()
    shared = tmp_path_factory.getbasetemp().parent  # pytest-N: the workers' basetemps are popen-gwK inside it
    path = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits here while the first computes
        if path.is_file():
            return cast(T, pickle.loads(path.read_bytes()))
        value = compute()
        path.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def bundled_lint(library: Library, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """(problems, notes) of the whole lint of the bundled library: the slowest check, run once a test run."""
    from policy_builder.checks.lint import lint_report

    return once_per_run(tmp_path_factory, "bundled-lint", lambda: lint_report(library))


def copy_library(target: Path, *sections: str) -> Path:
    """A copy of the bundled library in ``target``; given section files (``"05-boundaries.yaml"``), only
    those sections, with every other file: a small library that loads and lints in a fraction of the time,
    for a test of one check on one section."""
    keep = set(sections)
    shutil.copytree(
        ROOT / "clauses",
        target,
        ignore=lambda _, names: [
            n for n in names if keep and n[:1].isdigit() and n.endswith(".yaml") and n not in keep
        ],
    )
    assert not keep or {p.name for p in target.glob("[0-9]*.yaml")} == keep, "no such section file"
    return target


def default_ctrl_c() -> None:
    """For a child process's preexec_fn: Ctrl-C (SIGINT) handled the default way, as in a terminal.

    A run started with SIGINT ignored (nohup, a background job) passes that on to its children,
    and Python then never raises KeyboardInterrupt: a test that sends Ctrl-C would wait in vain."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_serve(cwd: Path, **env: str) -> subprocess.Popen:
    """`policy-builder serve` as a user starts it (a real process, no browser, any free port), serving
    cwd/answers; ``env`` adds to the environment. The caller stops it in a `finally`."""
    return subprocess.Popen(
        [sys.executable, "-m", "policy_builder", "serve", "--no-browser", "--port", "0", "--profiles", "answers"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        preexec_fn=default_ctrl_c,
    )


def base_profile() -> dict[str, Any]:
    """The example council's answers, with refresher training and the 2.0 approval and retention facts
    added so no gap is open: vary them in tests (each call a copy of its own)."""
    return copy.deepcopy(_base_profile())


@functools.cache
def _base_profile() -> dict[str, Any]:
    """base_profile(), read once a process (pure-Python YAML took 8 ms a call, and content tests make hundreds)."""
    profile = yaml.safe_load((PROFILES / "example-council.yaml").read_text(encoding="utf-8"))
    profile["training"]["refresher_months"] = 24
    profile["document"].update(equality_assessment=True, staff_consulted=True)
    profile.setdefault("data", {})["care_records_retention"] = True
    return cast(dict[str, Any], profile)


def with_answers(profile: dict[str, Any], **answers: Any) -> dict[str, Any]:
    """Set answers by question id with '__' for the dot: messaging__whatsapp='permitted'."""
    for key, value in answers.items():
        namespace, name = key.split("__")
        profile.setdefault(namespace, {})[name] = value
    return profile


@pytest.fixture
def write_profile(tmp_path: Path):
    counter = iter(range(1000))

    def write(profile: dict[str, Any] | str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"profile-{next(counter)}.yaml")
        text = profile if isinstance(profile, str) else yaml.safe_dump(profile, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def answers_for(library: Library, write_profile):
    def load(profile: dict[str, Any]) -> Answers:
        return load_profile(write_profile(profile), library.questionnaire, library.nations, build_date=BUILD_DATE)

    return load


@pytest.fixture(scope="session")
def example_documents(library: Library, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Each bundled profile's Word files (policy, practice guide, sources annex, staff summary, leaflet),
    built once for the whole run."""
    return once_per_run(tmp_path_factory, "example-documents", lambda: _example_documents(library))


def _example_documents(library: Library) -> dict[str, dict[str, bytes]]:
    from policy_builder.pipeline.assemble import build_policy
    from policy_builder.render.docx import render_annex_docx, render_docx, render_guide_docx, render_handout_docx
    from policy_builder.render.summary import leaflet, staff_summary

    documents = {}
    for path in sorted(PROFILES.glob("*.yaml")):
        answers = load_profile(path, library.questionnaire, library.nations, build_date=BUILD_DATE)
        policy = build_policy(library, answers)
        documents[path.stem] = {
            "policy": render_docx(policy),
            "practice-guide": render_guide_docx(policy),
            "sources-annex": render_annex_docx(policy),
            "staff-summary": render_handout_docx(staff_summary(library, policy)),
            "leaflet": render_handout_docx(leaflet(library, policy)),
        }
    return documents


# --- the command line, as the CLI tests drive it ---------------------------------------------
def run(*args: Any, library: Library) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], obj=CliContext(loaded=library))


def one_error(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)[:300]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.fixture(scope="session")
def example_issue_files(library: Library, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What `policy-builder build profiles/example-council.yaml` writes (policy, guide and annex as Markdown and
    Word, gap report, manifest), by file name: built once a run."""

    def build() -> dict[str, bytes]:
        out = tmp_path_factory.mktemp("example-issue")
        result = run("build", PROFILES / "example-council.yaml", "--out", out, library=library)
        assert result.exit_code == 0, result.output
        return {path.name: path.read_bytes() for path in sorted(out.iterdir())}

    return once_per_run(tmp_path_factory, "example-issue", build)


@pytest.fixture
def example_issue(example_issue_files: dict[str, bytes]) -> Callable[[Path], Path]:
    """Puts the example council's issued files into a folder (made if missing), as a build there would have
    left them: for a test of what a later build, --previous or changes does with an earlier issue."""

    def into(out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in example_issue_files.items():
            (out / name).write_bytes(data)
        return out

    return into


# --- policies built from answers, as the content tests read them ----------------------------------

APPROVED_AI = {
    "ai__tools": "approved_only",
    "ai__tool_names": "Microsoft 365 Copilot and Magic Notes",
    "ai__dpia": True,
}


def build_with(library: Library, answers_for: Any, **answers: Any) -> Any:
    """The policy for the base profile with these answers (question ids with '__' for the dot)."""
    from policy_builder.pipeline.assemble import build_policy

    return build_policy(library, answers_for(with_answers(base_profile(), **answers)))


def one_line(markdown: str) -> str:
    return " ".join(markdown.split())


# --- the browser wizard: an app saving into a fresh profiles folder (tests/test_web*.py) -------------------
@pytest.fixture
def profiles(tmp_path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    return folder


class PageTemplates(BytecodeCache):
    """The web pages' compiled templates, kept for the whole run (a Jinja bytecode cache in memory).

    Each app has a Jinja environment of its own, so each test's new app compiled again every page it showed:
    about a tenth of a second a test. Jinja checks the source's checksum on reading its code back, as with
    its own caches, so a page always shows what its template says."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


PAGE_TEMPLATES = PageTemplates()


def shared_page_templates(app: Any) -> Any:
    """``app``, its pages' compiled templates shared with every other test's app (PageTemplates)."""
    app.jinja_env.bytecode_cache = PAGE_TEMPLATES
    return app


@pytest.fixture
def app(library, profiles, tmp_path):
    from policy_builder.web import create_app

    app = create_app(library, profiles, build_date=BUILD_DATE, temp_root=tmp_path / "drafts")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the friendly 500 page, as a person would see it
    return shared_page_templates(app)


def tiny_png() -> bytes:
    """A 1 x 1 pixel PNG: the "logo" in an employer's template header, or a picture to check for alt text."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(b"\x00\x1d\x3c\x6e")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")


def short_render_budget(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Renders get ``seconds`` each instead of RENDER_SECONDS, from now on, in every thread.

    The watchdog sleeps until the earliest deadline it knows; an earlier render in this process (a build at
    the 10 s budget) can leave it asleep for up to 10 s, past a shorter deadline set now, and a runaway loop
    then ran for those 10 s (CPU burnt, and 2 of 5 runs of test_template_limits.py took 10 s, not 0.6 s).
    Woken here, it looks at the deadlines again before the next render's."""
    from policy_builder.core import templating

    monkeypatch.setattr(templating, "RENDER_SECONDS", seconds)
    watchdog = templating._WATCHDOG
    with watchdog.lock:
        watchdog.wake.notify()


# The caches kept between runs (issue 20): tests of the snapshot, the signed files and the compiled
# templates each start as a new process would, with a cache folder of their own.
CACHE_MARKER = "Zebramarkerone"  # a word the first clause of 01-purpose.yaml is given, to find in the policy


def forget_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new process would start: no cache folder looked up, nothing compiled, no key read."""
    from policy_builder.core import signed_cache, templating

    monkeypatch.setattr(templating, "_folder", False)
    monkeypatch.setattr(templating, "_cache", False)
    monkeypatch.setattr(templating, "_code", {})
    monkeypatch.setattr(templating, "_conditions", {})
    monkeypatch.setattr(signed_cache, "_keys", {})


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder for this test: the process forgets the one it found before."""
    from policy_builder.core import templating

    folder = tmp_path / "cache"
    monkeypatch.setenv(templating.CACHE_ENV, str(folder))
    forget_caches(monkeypatch)
    return folder


def marked_library(folder: Path, *sections: str) -> Path:
    """A copy of the bundled library in ``folder`` (only these section files if any are named, as
    copy_library) whose first clause text starts with CACHE_MARKER."""
    copy_library(folder, *sections)
    path = folder / "01-purpose.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    text: |\n" in text
    path.write_text(text.replace("    text: |\n", f"    text: |\n      {CACHE_MARKER}.\n", 1), encoding="utf-8")
    return folder


@pytest.fixture
def clauses(tmp_path: Path) -> Path:
    """A copy of the bundled library whose first clause text starts with CACHE_MARKER."""
    return marked_library(tmp_path / "clauses")


@pytest.fixture(scope="session")
def first_load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(library, cache folder): a marked library loaded once, in a new process's way, into a new cache folder,
    which then holds what a first load_library leaves (the key, the snapshot, the compiled code). Made once a
    run (once_per_run): the tests only copy from it, and a worker's first load costs about a second.

    The library has one section (01-purpose.yaml) and every other file: each test that damages the snapshot
    then reads the library afresh from its YAML, and that costs a fifth of the whole library's (0.15 s, not
    0.7), while the snapshot holds every kind of value the whole one does (clauses, questions, rules, nations,
    templates). Whole-library round trips are test_library_snapshot.py's tests on `clauses`."""

    def load() -> tuple[Path, Path]:
        from policy_builder.core import templating

        folder = tmp_path_factory.mktemp("first-load")
        library = marked_library(folder / "clauses", "01-purpose.yaml")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(templating.CACHE_ENV, str(folder / "cache"))
            forget_caches(patch)
            load_library(library)
        return library, folder / "cache"

    return once_per_run(tmp_path_factory, "first-load", load)


@pytest.fixture
def snapshotted(first_load: tuple[Path, Path], cache: Path) -> Path:
    """A marked library as its first load_library left it: this test's fresh cache folder holds a copy of what
    that load kept. For a test of what later loads do with the snapshot (damage it, replace it), which then
    need not pay for a first load (YAML parsed, every text compiled) each. The library folder is shared by
    every such test: read it, never change it."""
    library, kept = first_load
    shutil.copytree(kept, cache)  # modes too: the cache reads only files private to this user
    return library


@pytest.fixture
def yaml_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every YAML file the library loader parses, in order."""
    from policy_builder.core import yamlio

    reads: list[Path] = []
    real = yamlio.load

    def counting(path, *args, **kwargs):  # noqa: ANN001, ANN202 - same signature as yamlio.load
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(yamlio, "load", counting)
    return reads


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cycle collector less often in the test processes (each xdist worker collects too).

    A worker holds a large heap for the whole run (the libraries, compiled templates, Word documents), and
    with the default thresholds (700, 10, 10) the collector went over it about 6,000 times a worker: 15.5 s
    of the workers' CPU in a full run, measured with gc.callbacks. At (10,000, 20, 20) it runs about 500
    times, 5.1 s. Only how often it runs changes: it stays on, and the product's own switching of it in
    `build` (tests/test_cli.py) is unaffected.
    """
    import gc

    gc.set_threshold(10_000, 20, 20)

"""The browser wizard under load and abuse (issue 18, deliver 6): parallel uploads, every bad upload, drafts that
outlive memory, a start page that does not re-read every profile, a time budget per request, and left-over
temporary folders of killed servers."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import BUILD_DATE, PROFILES, ROOT, start_serve
from test_web import ORGANISATION, Visitor, error_summary, start_new, upload

from policy_builder.web import drafts
from policy_builder.web.security import TooSlow, time_limit
from policy_builder.web.serve import make_server

BAD = ROOT / "tests" / "bad_inputs" / "profiles"
EXAMPLE = (PROFILES / "example-council.yaml").read_text(encoding="utf-8")


@pytest.fixture
def me(app) -> Visitor:
    visitor = Visitor(app)
    visitor.get("/")
    return visitor


# --- parallel uploads at a running server ------------------------------------------------------------------


def _multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----policy-builder-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="profile_file"; filename="{name}"\r\n'
        f"Content-Type: application/yaml\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the 302 itself is the answer to check
        return None


def _one_upload(base: str, name: str, content: bytes) -> int:
    """A new browser: opens the start page, uploads one profile; the status of the upload's answer."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
    with opener.open(base + "/", timeout=120) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode("utf-8")).group(1)
    body, kind = _multipart({"csrf_token": token}, name, content)
    request = urllib.request.Request(base + "/start/upload", data=body, headers={"Content-Type": kind})
    try:
        with opener.open(request, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


# How many uploads, from how many browsers at once, with Python switching threads how often. One YAML loader
# shared by request threads gave 20-29 HTTP 500s per 300 parallel uploads when it was found (issue 18); with
# that loader put back (2026-12-02) the old size (300 uploads, 32 browsers, the default 5 ms switch) gave
# 0, 2, 0, 1, 4, 2 in six runs (about 8 s of CPU a run), and this one 2, 6, 3, 2, 2 in five (about 4.5 s):
# switching threads ten times as often puts more requests in the middle of each other's parsing, and fewer
# browsers spend less of the CPU on waiting their turn.
UPLOADS, BROWSERS, SWITCH_SECONDS = 120, 8, 0.0005


def test_a_hundred_and_more_parallel_uploads_at_a_running_server_never_fail(app):
    """One YAML loader shared by request threads gave HTTP 500s under parallel uploads (issue 18)."""
    good = EXAMPLE.encode("utf-8")
    bad = [(p.name, p.read_bytes()) for p in sorted(BAD.glob("*.yaml"))]
    # Mostly good profiles (the slow path: every answer read and cast), the broken ones for the error paths.
    uploads = [("council.yaml", good) if i % 3 else bad[(i // 3) % len(bad)] for i in range(UPLOADS)]
    server = make_server(app, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    switch = sys.getswitchinterval()
    try:
        sys.setswitchinterval(SWITCH_SECONDS)
        base = f"http://127.0.0.1:{server.port}"
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=BROWSERS) as pool:
            statuses = list(pool.map(lambda u: _one_upload(base, *u), uploads))
        took = time.monotonic() - started
    finally:
        sys.setswitchinterval(switch)
        server.shutdown()
        server.server_close()
    counts = {status: statuses.count(status) for status in set(statuses)}
    print(f"{UPLOADS} parallel uploads: {counts} in {took:.1f} s")  # quoted in the report (pytest -s)
    assert 500 not in counts, counts
    assert set(counts) <= {302, 400}, counts
    assert counts[302] == sum(1 for name, _ in uploads if name == "council.yaml") + sum(
        1 for name, _ in uploads if name != "council.yaml" and not _refused(name)
    )


def _refused(name: str) -> bool:
    """Whether the web refuses this corpus file outright (else it loads and asks again what was wrong)."""
    return name in REFUSED


# The corpus files whose mistakes stop the file being read at all: the page names the file, line and problem.
REFUSED = {
    "01-only-comments.yaml",
    "02-unclosed-list.yaml",
    "03-tab-indent.yaml",
    "04-top-level-list.yaml",
    "05-top-level-text.yaml",
    "06-missing-schema.yaml",
    "07-schema-2.yaml",
    "10-section-is-list.yaml",
    "11-section-is-text.yaml",
    "27-date-impossible-day.yaml",
    "28-date-impossible-month.yaml",
    "45-duplicate-answer.yaml",
    "46-duplicate-section.yaml",
    "47-python-object-tag.yaml",
    "48-python-name-tag.yaml",
    "49-custom-tag.yaml",
    "50-merge-key.yaml",
    "51-alias.yaml",
    "52-alias-bomb.yaml",
    "53-undefined-alias.yaml",
    "54-two-documents.yaml",
    "55-complex-key.yaml",
    "57-deep-nesting.yaml",
    "64-binary-tag.yaml",
}


# --- every upload the command line rejects: a message in the page, never a 500 ------------------------------


def _expected(path: Path) -> tuple[str, int | None]:
    head = path.read_text(encoding="utf-8", errors="replace").splitlines()[:3]
    line = next((int(h.split(":", 1)[1]) for h in head if h.startswith("# line:")), None)
    return head[0], line


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_profile_the_command_line_rejects_is_answered_with_a_message_in_the_page(me, path):
    upload(me, path.name, path.read_bytes())
    _, line = _expected(path)
    assert me.status != 500 and "Something went wrong" not in me.page
    if path.name in REFUSED:
        # Not read at all: the start page again, saying what is wrong where, as the command line does.
        assert me.status == 400 and me.url == "/start/upload"
        (anchor, message), *_ = error_summary(me.page)
        assert anchor == "profile-file"
        assert message.startswith(path.name)
        if line:
            assert f"line {line}:" in message, message
        return
    # Read, with what is wrong said against its line and asked again (issue 17), or a required answer missing.
    assert me.status == 200 and me.url == "/review", me.text()[:300]
    text = me.text()
    if f"{path.name}:{line}:" not in text:
        me.submit("/build")
        assert me.status == 400 and me.url == "/build"
        assert error_summary(me.page)[0][1].startswith("Answer “"), "the required answer missing is asked for"


LONG_NAME = EXAMPLE.replace("name: London Borough of Eastbrook", "name: " + "Eastbrook " * 40)
CRASHES = {
    # Uploads that built into tracebacks (issue 18): each is a page with a message, or a built policy.
    # (profile, the page it ends on after upload and build, what that page or the upload's page says)
    "long-name.yaml": (LONG_NAME, "/finish", "Your policy leaves"),
    "review-double-minus.yaml": (
        EXAMPLE.replace("review_months: 12", "review_months: '--5'"),
        "/finish",
        "review-double-minus.yaml:20: the answer to “How many months until the policy is reviewed?” will not do",
    ),
    "surrogate-title.yaml": (
        EXAMPLE + '\nlocal:\n  - add_to: messaging\n    title: "Messages \\udc80"\n    text: "Hello"\n',
        "/start/upload",
        "U+DC80 is half of a character pair",
    ),
    "long-template-path.yaml": (
        EXAMPLE.replace(
            "  protective_marking: OFFICIAL",
            "  protective_marking: OFFICIAL\n  reference_docx: " + "t" * 4995 + ".docx",
        ),
        "/build",
        "the path is 5000 characters long",
    ),
}


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_uploads_that_built_into_crashes_get_a_message_or_a_policy(me, name):
    text, page, message = CRASHES[name]
    upload(me, name, text.encode("utf-8"))
    assert me.status in (200, 400)
    said = me.text()
    if me.url == "/review":
        me.submit("/build")
    assert me.status != 500 and "Something went wrong" not in me.page
    assert me.url == page, me.text()[:300]
    assert message in said + me.text()


def test_a_profile_whose_file_name_is_not_text_leaves_the_start_page_working(app, profiles):
    (profiles / "eastbrook.yaml").write_text(EXAMPLE, encoding="utf-8")
    os.close(os.open(os.path.join(os.fsencode(profiles), b"odd-\xff-name.yaml"), os.O_CREAT | os.O_WRONLY))
    visitor = Visitor(app)
    visitor.get("/")
    assert visitor.status == 200, "a name that is not UTF-8 made the start page 500 (issue 18)"
    assert "London Borough of Eastbrook" in visitor.text()


# --- drafts never dropped while a browser holds them ---------------------------------------------------------


def test_a_browsers_answers_outlive_many_other_browsers(app, monkeypatch):
    monkeypatch.setattr(drafts, "LIVE_DRAFTS", 2)  # few kept in memory: the rest must come back from disk
    first = Visitor(app)
    first.get("/")
    start_new(first)
    first.section("organisation", ORGANISATION)
    assert first.url == "/section/document"
    others = [Visitor(app) for _ in range(25)]  # more than the 20 that used to push the first one out
    for other in others:
        other.get("/")
        start_new(other)
    first.get("/section/organisation")
    assert first.status == 200, "the first browser's answers are still held"
    assert 'value="Testshire County Council"' in first.page
    first.get("/")
    assert "Testshire County Council" in first.text(), "the start page offers the answers in progress"
    first.get("/review")
    assert first.status == 200 and "Testshire County Council" in first.text()


def test_a_draft_read_back_from_disk_keeps_its_built_files_and_notices(app, monkeypatch, library, tmp_path):
    from policy_builder.content.models import DraftStatus, OpenQuestion
    from policy_builder.interview.session import Interview

    store = app.extensions["policy_builder.drafts"]
    interview = Interview.from_profile(library, PROFILES / "example-council.yaml", build_date=BUILD_DATE)
    draft = store.start("browser-1", interview)
    draft.reached = {"organisation", "document"}
    draft.notices.append("Loaded example-council.yaml")
    draft.typed["document.review_months"] = "twelve"
    policy = draft.folder / "built" / "policy.docx"
    draft.built = [("docx", policy)]
    draft.downloads = {policy.name: policy}
    draft.built_gaps = interview.gaps()
    draft.status = DraftStatus(unapproved=True, open_questions=(OpenQuestion("document.owner", "Who owns it?"),))
    draft.leaflet_grade = 6.5
    store.save(draft)
    store._live.clear()  # as if it had left memory
    back = store.get(draft.token, "browser-1")
    assert back is not draft
    assert back.interview.answers == interview.answers, "dates, lists and numbers come back as they were"
    assert back.reached == draft.reached and back.notices == draft.notices and back.typed == draft.typed
    assert back.built == draft.built and back.downloads == draft.downloads
    assert back.built_gaps == draft.built_gaps and back.built_gaps, "the finish page's gaps, as built"
    assert back.status == draft.status and back.leaflet_grade == 6.5
    assert store.get(draft.token, "another-browser") is None, "only its own browser gets it"
    assert store.get("../../etc", "browser-1") is None


# --- the start page ------------------------------------------------------------------------------------------


def test_the_start_page_reads_a_profile_again_only_when_it_changes(app, profiles, monkeypatch):
    from policy_builder.pipeline import profile_edit as profile

    for number in range(30):
        text = EXAMPLE.replace("London Borough of Eastbrook", f"Council number {number}")
        (profiles / f"council-{number}.yaml").write_text(text, encoding="utf-8")
    read = []
    original = profile.organisation_name
    monkeypatch.setattr(profile, "organisation_name", lambda path: read.append(path.name) or original(path))
    visitor = Visitor(app)
    visitor.get("/")
    assert len(read) == 30 and "Council number 29" in visitor.text()
    read.clear()
    visitor.get("/")
    assert read == [], "nothing parsed again when nothing changed"
    changed = profiles / "council-7.yaml"
    changed.write_text(EXAMPLE.replace("London Borough of Eastbrook", "Renamed Council"), encoding="utf-8")
    visitor.get("/")
    assert read == ["council-7.yaml"]
    assert "Renamed Council" in visitor.text()


# --- a time budget per request -------------------------------------------------------------------------------


def _slow(seconds: float, stopped: list[str]):
    def work(*args, **kwargs):
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                time.sleep(0.01)  # Python work between short waits, as parsing or rendering is
        except TooSlow:
            stopped.append("stopped")
            raise
        stopped.append("finished")

    return work


def test_an_upload_past_its_time_budget_is_stopped_with_a_message(app, me, monkeypatch):
    from policy_builder.interview.session import Interview

    stopped: list[str] = []
    app.config["UPLOAD_SECONDS"] = 0.3  # short, so the test waits little
    monkeypatch.setattr(Interview, "from_profile", classmethod(lambda cls, *a, **k: _slow(60, stopped)()))
    started = time.monotonic()
    upload(me, "council.yaml", EXAMPLE.encode("utf-8"))
    assert time.monotonic() - started < 15, "the request thread is not held for the whole minute"
    assert me.status == 503
    message = error_summary(me.page)[0][1]
    assert message.startswith("Reading council.yaml took longer than 0.3 seconds, so it was stopped")
    assert stopped == ["stopped"], "the work itself stopped, not only the answer"
    time.sleep(0.2)
    me.get("/")
    assert me.status == 200, "the thread serves the next request normally"


def test_a_build_past_its_time_budget_is_stopped_with_a_message_and_the_answers_kept(app, me, monkeypatch, profiles):
    import policy_builder.build

    upload(me, "council.yaml", EXAMPLE.encode("utf-8"))
    stopped: list[str] = []
    app.config["BUILD_SECONDS"] = 0.3
    monkeypatch.setattr(policy_builder.build, "build_profile", _slow(60, stopped))
    started = time.monotonic()
    me.submit("/build")
    assert time.monotonic() - started < 15
    assert me.status == 503 and me.url == "/build"
    message = error_summary(me.page)[0][1]
    assert "Building the policy took longer than 0.3 seconds, so it was stopped" in message
    assert "eastbrook-council.yaml" in message
    assert stopped == ["stopped"]
    assert (profiles / "eastbrook-council.yaml").is_file(), "the answers are saved"


def test_choosing_a_saved_profile_past_the_time_budget_gives_a_plain_page(app, me, profiles, monkeypatch):
    from policy_builder.interview.session import Interview

    (profiles / "eastbrook.yaml").write_text(EXAMPLE, encoding="utf-8")
    stopped: list[str] = []
    app.config["UPLOAD_SECONDS"] = 0.3  # short, so the test waits little
    monkeypatch.setattr(Interview, "from_profile", classmethod(lambda cls, *a, **k: _slow(60, stopped)()))
    me.get("/")
    me.submit("/start/choose", {"profile": "eastbrook.yaml"})
    assert me.status == 503 and "That took too long" in me.text() and "try again" in me.text()
    assert stopped == ["stopped"]


def test_a_time_budget_is_named_in_words():
    from policy_builder.web.pages import BUILD_SECONDS, UPLOAD_SECONDS, _seconds

    assert [_seconds(n) for n in (1, UPLOAD_SECONDS, BUILD_SECONDS, 0.3)] == [
        "1 second",
        "20 seconds",
        "180 seconds",
        "0.3 seconds",
    ]


def test_the_time_budget_never_fires_after_its_block_ends():
    with time_limit(0.3):
        time.sleep(0.05)
    end = time.monotonic() + 0.6
    while time.monotonic() < end:  # past the budget: no stray TooSlow arrives later
        time.sleep(0.01)
    with pytest.raises(TooSlow):
        with time_limit(0.2):
            end = time.monotonic() + 10
            while time.monotonic() < end:
                time.sleep(0.01)


# --- temporary folders of killed servers ---------------------------------------------------------------------


def _serve(tmp_path: Path, temp: Path) -> subprocess.Popen:
    process = start_serve(tmp_path, TMPDIR=str(temp))
    first = process.stdout.readline()
    assert "is running at" in first, first
    process.stdout.readline()
    with urllib.request.urlopen(first.split(" at ")[1].strip(), timeout=30) as page:
        assert page.status == 200  # serving: a Ctrl-C from now on stops it cleanly
    return process


def test_a_killed_servers_temporary_folder_is_removed_at_the_next_start(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    first = second = None
    try:
        first = _serve(tmp_path, temp)
        (left,) = temp.glob("policy-builder-serve-*")
        first.kill()  # SIGKILL: no exit handler runs
        first.communicate(timeout=30)
        assert left.is_dir(), "a killed server leaves its folder"
        (temp / "policy-builder-serve-not-ours").mkdir()  # no lock file: not a server's, left alone
        second = _serve(tmp_path, temp)
        now = sorted(p.name for p in temp.glob("policy-builder-serve-*"))
        assert left.name not in now, "the next server removed it"
        assert "policy-builder-serve-not-ours" in now and len(now) == 2
        second.send_signal(signal.SIGINT)
        out, err = second.communicate(timeout=30)
        assert second.returncode == 0, err
        assert [p.name for p in temp.glob("policy-builder-serve-*")] == ["policy-builder-serve-not-ours"]
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def test_a_draft_in_use_by_a_request_never_leaves_memory(app, monkeypatch):
    """Two copies of one draft (one being changed by a request, one read back from disk) would lose answers."""
    monkeypatch.setattr(drafts, "LIVE_DRAFTS", 1)
    first = Visitor(app)
    first.get("/")
    start_new(first)
    store = app.extensions["policy_builder.drafts"]
    (token,) = list(store._live)
    held = store.get(token, store._owners[token][0], use=True)  # as a request in progress holds it
    for _ in range(3):
        other = Visitor(app)
        other.get("/")
        start_new(other)
    assert token in store._live and store.get(token) is held, "kept while in use"
    store.done(held)
    other = Visitor(app)
    other.get("/")
    start_new(other)
    assert token not in store._live, "once done, it may leave memory"
    assert store.get(token) is not held and store.get(token).token == token, "and comes back from disk"

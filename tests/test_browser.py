"""End to end in a real browser: a manager answers the questionnaire in headless Chromium and downloads the policy.

Chromium and its driver are system packages (Debian: chromium, chromium-driver),
driven by Selenium with the system chromedriver (nothing is downloaded). Without
them the test is skipped on a developer's machine; in CI (the CI environment
variable is set, as .ci/run does) it fails instead, so it always runs there.

Set POLICY_BUILDER_SCREENSHOTS=/some/folder to keep a screenshot of every page.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BUILD_DATE, PROFILES, shared_page_templates
from docx import Document

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def _require_browser() -> None:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {reason}; .ci/run installs them")
        pytest.skip(f"{reason}; CI runs this test")


@pytest.fixture
def site(library, tmp_path) -> Iterator[tuple[str, Path]]:
    """The app on 127.0.0.1 at a free port, in a background thread, with one saved profile in its folder."""
    from werkzeug.serving import make_server

    from policy_builder.web import create_app
    from policy_builder.web.serve import QuietHandler

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(PROFILES / "example-council.yaml", profiles)
    app = shared_page_templates(create_app(library, profiles, build_date=BUILD_DATE, temp_root=tmp_path / "drafts"))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}", profiles
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory) -> Iterator[object]:
    """One headless Chromium for the file's tests (starting one costs seconds); each test resets it (browser)."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")  # fresh: no history
    options.add_experimental_option(
        "prefs",
        {
            "download.prompt_for_download": False,
            # The finish page offers a dozen files: a person may download them all, one click each.
            "profile.default_content_setting_values.automatic_downloads": 1,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium, tmp_path) -> Iterator[object]:
    """The shared Chromium as a person's fresh browser: no cookies or cache (a cookie is the same for every
    port of 127.0.0.1, so one test's session would follow into the next), downloads into this test's folder."""
    driver: Any = chromium
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.get("about:blank")  # leave no page of this test's server open in the next


class Manager:
    """What a person does: reads the page, clicks labels, types, presses buttons."""

    def __init__(self, driver, base: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.base = base
        self.by = By
        self.shots = os.environ.get("POLICY_BUILDER_SCREENSHOTS")
        self.count = 0

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def heading(self) -> str:
        return self.driver.find_element(self.by.TAG_NAME, "h1").text

    def text(self) -> str:
        return self.driver.find_element(self.by.TAG_NAME, "main").text

    def choose(self, label: str) -> None:
        self.driver.find_element(self.by.XPATH, f"//label[normalize-space()={_quote(label)}]").click()

    def type(self, field_id: str, text: str) -> None:
        field = self.driver.find_element(self.by.ID, field_id)
        field.clear()
        field.send_keys(text)

    def press(self, button: str, seconds: float = 20) -> None:
        """Press a button that sends a form, and wait until the next page has loaded.

        Before "Save and continue", a yes/no or choice question the page leaves unticked (one with no
        suggested answer, which must be answered) is answered No, or its first option, as a manager would.
        """
        if button.startswith("Save and") and button != "Save and build my policy":
            self.driver.execute_script(
                """
                var groups = {};
                document.querySelectorAll('input[type=radio]').forEach(function (input) {
                  if (input.disabled || input.offsetParent === null) { return; }
                  (groups[input.name] = groups[input.name] || []).push(input);
                });
                Object.keys(groups).forEach(function (name) {
                  var inputs = groups[name];
                  if (inputs.some(function (i) { return i.checked; })) { return; }
                  var no = inputs.filter(function (i) { return i.value === 'no'; })[0] || inputs[0];
                  no.click();
                });
                """
            )
        self.driver.execute_script("window.policyBuilderOldPage = true;")  # gone once a new page replaces this one
        self.driver.find_element(self.by.XPATH, f"//button[normalize-space()={_quote(button)}]").click()
        self.wait_for(self._new_page_loaded, f"the page after pressing '{button}'", seconds)

    def _new_page_loaded(self) -> bool:
        from selenium.common.exceptions import WebDriverException

        try:
            return self.driver.execute_script(
                "return !window.policyBuilderOldPage && document.readyState === 'complete';"
            )
        except WebDriverException:  # asked while the browser is between pages
            return False

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()

    def focused(self):
        return self.driver.switch_to.active_element

    def focus_is_visible(self) -> bool:
        """The focused element has an outline or a shadow drawn round it."""
        style = self.driver.execute_script(
            "const s = getComputedStyle(document.activeElement);return [s.outlineStyle, s.outlineWidth, s.boxShadow];"
        )
        outline, width, shadow = style
        return (outline != "none" and width != "0px") or shadow != "none"

    def visible(self, field_id: str) -> bool:
        return self.driver.find_element(self.by.ID, field_id).is_displayed()

    def wait_for(self, condition, what: str, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def shot(self, name: str) -> None:
        if not self.shots:
            return
        self.count += 1
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(height, 800), 5000))
        self.driver.save_screenshot(str(Path(self.shots) / f"{self.count:02d}-{name}.png"))
        self.driver.set_window_size(1280, 1000)


def _quote(text: str) -> str:
    return f'"{text}"' if '"' not in text else f"'{text}'"


def test_a_manager_answers_in_the_browser_and_downloads_the_policy(site, browser):
    from selenium.webdriver.common.keys import Keys

    base, profiles = site
    me = Manager(browser, base)
    me.open("/")
    assert me.heading() == "Write your social media policy"
    me.shot("start")
    me.press("Start a new policy")

    # Section 1: pressing on without answering shows the error summary, linked to the fields.
    assert me.heading() == "Your organisation"
    me.press("Save and continue")
    assert "There is a problem" in me.text()
    me.shot("organisation-errors")
    assert browser.switch_to.active_element.get_attribute("data-error-summary") is not None, "it takes the focus"
    # Keyboard only from here: Tab to the first error, Enter to reach its field, type, Tab on, Space to choose.
    me.keys(Keys.TAB)
    assert me.focused().text == "Enter an answer: “What is the full legal name of your organisation?”"
    me.keys(Keys.ENTER)
    assert me.focused().get_attribute("id") == "organisation-name"
    me.keys("Testshire County Council", Keys.TAB, Keys.TAB, "Testshire", Keys.TAB)
    assert me.focused().text == "What this puts in the policy", "each question's preview is one Tab stop"
    me.keys(Keys.TAB)
    assert me.focused().get_attribute("id") == "organisation-nation", "Tab reaches the first choice"
    assert me.focus_is_visible(), "the focused radio button is marked"
    me.keys(Keys.SPACE)
    assert browser.find_element(me.by.ID, "organisation-nation").is_selected()
    me.choose("Local authority (council)")
    me.choose("Children and families")
    assert me.text().count("Enter an answer") == 2, "the errors stay until the form is sent again"
    me.press("Save and continue")

    assert me.heading() == "The policy document"
    me.type("document-owner", "Principal Social Worker")
    me.type("document-approved-by", "Corporate Parenting Board")
    me.shot("document")
    me.press("Save and continue")

    assert me.heading() == "Accounts, devices and photographs"
    me.press("Save and continue")

    # Section 4: allowing WhatsApp to keep in touch brings its follow-up questions onto the page at once.
    assert me.heading() == "Messaging and video"
    assert not me.visible("messaging-apps")
    me.choose("Yes, but only to keep in touch")
    me.wait_for(lambda: me.visible("messaging-apps"), "the follow-up questions to appear")
    me.choose("Signal")  # WhatsApp is ticked already; add Signal
    me.choose("Staff export the conversation and upload it")
    me.type("messaging-record-system", "Mosaic")
    me.shot("messaging-follow-ups")
    me.press("Save and continue")

    # The gap panel has followed the answers; the remaining sections keep their suggested answers.
    assert me.heading() == "Out of hours"
    panel = browser.find_element(me.by.CLASS_NAME, "gaps-panel").text
    assert "Gaps so far" in panel and "Messaging and video" in panel
    me.shot("out-of-hours")
    for title in (
        "Out of hours",
        "Viewing people's social media",
        "Staff safety and conduct",
        "Training and students",
        "Posting about work",
        "Data protection and support for people",
        "AI tools",
        "Contacts",
    ):
        assert me.heading() == title
        me.press("Save and check your answers" if title == "Contacts" else "Save and continue")

    assert me.heading() == "Check your answers"
    review = me.text()
    assert "Yes, but only to keep in touch" in review and "WhatsApp, Signal" in review
    me.shot("review")
    me.press("Save and build my policy", seconds=60)
    assert me.heading() == "Your draft policy is ready"  # a draft until approved and every question decided
    assert "Draft:" in me.text()
    me.shot("finish")
    assert (profiles / "testshire.yaml").is_file(), "the profile is saved by slug in the profiles folder"
    browser.find_element(me.by.PARTIAL_LINK_TEXT, "The policy, in Word").click()
    target = browser.downloads / "testshire-social-media-policy.docx"
    me.wait_for(lambda: target.is_file() and target.stat().st_size > 0, "the Word policy to download", 15)

    document = Document(str(target))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.core_properties.author == "Testshire County Council" or "Testshire County Council" in text
    assert "Messaging apps for keeping in touch only" in text
    assert re.search(r"WhatsApp and Signal", text), "the follow-up answer reaches the policy"
    assert "Corporate Parenting Board" in "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )


class Server:
    """policy-builder's app on 127.0.0.1 in a background thread, that can be stopped and started again."""

    def __init__(self, make_app) -> None:
        self.make_app = make_app
        self.server = None
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        from werkzeug.serving import make_server

        from policy_builder.web.serve import QuietHandler

        self.server = make_server("127.0.0.1", 0, self.make_app(), threaded=True, request_handler=QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.thread.join(5)
            self.server.server_close()
            self.server = None


def test_a_restart_mid_way_loses_nothing_and_every_download_works_with_default_options(
    library, browser, tmp_path, monkeypatch
):
    from policy_builder.web import create_app

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # `policy-builder serve` with no options, started in this folder
    runs = iter(range(10))
    server = Server(
        lambda: shared_page_templates(
            create_app(library, build_date=BUILD_DATE, temp_root=tmp_path / f"run-{next(runs)}")
        )
    )
    me = Manager(browser, server.start())
    try:
        me.open("/")
        me.press("Start a new policy")
        me.type("organisation-name", "Testshire County Council")
        me.type("organisation-short-name", "Testshire")
        me.choose("England")
        me.choose("Local authority (council)")
        me.choose("Children and families")
        me.press("Save and continue")

        # A date that is not one: the other answers typed on the page survive the error and going back.
        assert me.heading() == "The policy document"
        me.type("document-owner", "Principal Social Worker")
        me.type("document-approved-by", "Corporate Parenting Board")
        # GOV.UK's day / month / year fields: an impossible date is named in words.
        me.type("document-effective-date", "30")
        me.type("document-effective-date-month", "2")
        me.type("document-effective-date-year", "2027")
        me.press("Save and continue")
        assert "There is a problem" in me.text() and "30 February 2027 is not a date" in me.text()
        me.press("Previous section")
        assert me.heading() == "Your organisation"
        me.press("Save and continue")
        assert me.heading() == "The policy document"
        for field, value in (
            ("document-owner", "Principal Social Worker"),
            ("document-approved-by", "Corporate Parenting Board"),
            ("document-effective-date", "30"),
            ("document-effective-date-month", "2"),
            ("document-effective-date-year", "2027"),
        ):
            assert browser.find_element(me.by.ID, field).get_attribute("value") == value, field
        me.type("document-effective-date", "1")
        me.type("document-effective-date-month", "4")
        me.press("Save and continue")
        assert me.heading() == "Accounts, devices and photographs"
        assert (work / "profiles" / "drafts" / "testshire.yaml").is_file()

        # policy-builder is stopped and started again: the answers wait as a draft on the start page.
        server.stop()
        me.base = server.start()
        me.open("/")
        assert "Carry on with unfinished answers" in me.text() and "Testshire County Council" in me.text()
        me.press("Open the answers chosen")
        assert me.heading() == "Accounts, devices and photographs"
        while me.heading() != "Check your answers":
            me.press("Save and check your answers" if me.heading() == "Contacts" else "Save and continue")
        assert "Corporate Parenting Board" in me.text() and "1 April 2027" in me.text()
        me.press("Save and build my policy", seconds=60)
        assert me.heading() == "Your draft policy is ready" and "Draft:" in me.text()

        links = browser.find_elements(me.by.CSS_SELECTOR, "a.download-link")
        names = [link.get_attribute("href").rsplit("/", 1)[1] for link in links]
        assert len(names) == 13 and "testshire.yaml" in names
        for link, name in zip(links, names, strict=True):
            # One at a time, as a person would, with a moment between: clicked within milliseconds of the
            # last file landing, Chromium started no more downloads after ten (in 9 of 18 full runs).
            time.sleep(0.2)
            link.click()
            target = browser.downloads / name
            try:
                me.wait_for(lambda t=target: t.is_file() and t.stat().st_size > 0, f"{name} to download", 15)
            except AssertionError as missing:  # say what did arrive: a partial file, another name, nothing
                raise AssertionError(
                    f"{missing}; downloads: {sorted(p.name for p in browser.downloads.iterdir())}"
                ) from None
        assert (browser.downloads / "testshire.yaml").read_bytes() == (
            work / "profiles" / "testshire.yaml"
        ).read_bytes()
        assert sorted(p.name for p in (work / "profiles").iterdir()) == ["testshire.yaml"], "the draft is gone"
    finally:
        server.stop()

"""PDFs, and the page numbers of the Word contents, through LibreOffice.

LibreOffice (`soffice`, Debian package libreoffice-writer-nogui) lays the Word
files out headless:

- `--format pdf` exports each document as a tagged PDF (PDF/UA): headings,
  lists, tables and links tagged, the title and language set, which the
  accessibility regulations expect of a published document;
- whenever it is installed, the build converts the documents with a contents
  list once to learn on which page each section starts (the PDF's named
  destinations, one per Word bookmark) and writes the numbers into the Word
  contents field (ooxml.fill_contents). Without it the field is left for Word
  to update on opening.

Each process has a LibreOffice profile of its own (-env:UserInstallation),
made on its first run, kept for every later run (a batch, `serve`) and removed
at exit, so parallel processes, or a LibreOffice the user has open, never
clash. A run while another thread of the process is using it, or in a worker
of a multiprocessing batch (which leaves without running exit handlers), has
a temporary profile instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from policy_builder.core.errors import PolicyBuilderError
from policy_builder.render.docx.ooxml import contents_anchors, fill_contents

if TYPE_CHECKING:
    import subprocess

PACKAGE = "libreoffice-writer-nogui"
TIMEOUT = 300  # seconds for one LibreOffice run; a policy takes a few
ENVIRONMENT = "POLICY_BUILDER_PAGE_NUMBERS"  # 0 / no / off: leave the contents' page numbers to Word

# writer_pdf_Export's options (LibreOffice 7.4 and later read them as JSON): tagged PDF/UA, the
# document title in the window title, Word bookmarks as named destinations (to find the pages).
EXPORT_OPTIONS = {
    "UseTaggedPDF": True,
    "PDFUACompliance": True,
    "ExportBookmarks": True,
    "ExportBookmarksToPDFDestination": True,
    "DisplayPDFDocumentTitle": True,
    "ExportFormFields": False,
}
# glibc grows LibreOffice's heap a few pages at a time by default; asking for this much headroom on each
# growth saves about half a second of kernel time a run (measured: 1.4 s wall, 0.5 s sys for one policy,
# against 0.9 s and 0.15 s). Untouched headroom is only address space, not memory in use.
MALLOC_TOP_PAD = str(256 * 1024 * 1024)
_PLACEHOLDER = 99  # a two-digit page number, so the first layout matches the final one
_ROUNDS = 3  # layouts tried until the numbers agree with the pages they name


class LibreOfficeMissing(PolicyBuilderError):
    def __init__(self) -> None:
        super().__init__(
            f"--format pdf needs LibreOffice, which is not installed: install the {PACKAGE} package "
            f"(sudo apt-get install {PACKAGE}), or leave pdf out of --format"
        )


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def page_numbers_wanted(setting: bool | None) -> bool:
    """Whether to lay the documents out for the contents' page numbers: asked, else when LibreOffice is here.

    POLICY_BUILDER_PAGE_NUMBERS=0 turns the automatic choice off (a quick build, or a test run).
    """
    if setting is not None:
        return setting
    if os.environ.get(ENVIRONMENT, "").strip().lower() in ("0", "no", "off", "false"):
        return False
    return soffice() is not None


_profile: Path | None = None  # this process's LibreOffice profile, once made
_turns = threading.Lock()  # held while a run uses it: a second run on it at once would hand its files to the first


def _remove_profile() -> None:
    if _profile is not None:
        shutil.rmtree(_profile, ignore_errors=True)


@contextlib.contextmanager
def libreoffice_profile() -> Iterator[Path]:
    """A LibreOffice profile folder for this thread's runs until the block ends.

    LibreOffice fills a new profile folder on its first run, which every run
    with a new one pays again, so the process keeps one for its runs and
    removes it at exit, or after a run that failed (a LibreOffice stopped at
    its time limit may leave it half written). While another thread is using
    it (the web wizard's builds), or in a pool worker (which ends with
    os._exit: no exit handler would remove a kept one), the runs get a
    temporary profile instead of waiting.
    """
    global _profile
    import sys

    multiprocessing = sys.modules.get("multiprocessing")
    worker = multiprocessing is not None and multiprocessing.parent_process() is not None
    if worker or not _turns.acquire(blocking=False):
        with tempfile.TemporaryDirectory(prefix="policy-builder-libreoffice-") as folder:
            yield Path(folder)
        return
    try:
        if _profile is None:
            import atexit

            _profile = Path(tempfile.mkdtemp(prefix="policy-builder-libreoffice-"))
            atexit.register(_remove_profile)
        try:
            yield _profile
        except BaseException:
            _remove_profile()
            _profile = None  # the next run fills a new one
            raise
    finally:
        _turns.release()


def to_pdf(documents: dict[str, bytes], profile: Path | None = None) -> dict[str, bytes]:
    """Each Word document (by name) as a tagged PDF, in one LibreOffice run.

    `profile`: the LibreOffice profile folder to use (and make if missing); by
    default the process's own (libreoffice_profile).
    """
    program = soffice()
    if program is None:
        raise LibreOfficeMissing()
    if not documents:
        return {}
    if profile is None:
        with libreoffice_profile() as own:
            return to_pdf(documents, own)
    with tempfile.TemporaryDirectory(prefix="policy-builder-pdf-") as folder:
        work = Path(folder)
        sources = []
        for index, data in enumerate(documents.values()):
            source = work / f"{index}.docx"  # our own names: a name never reaches the command line
            source.write_bytes(data)
            sources.append(source)
        command = [
            program,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export:" + json.dumps(_typed(EXPORT_OPTIONS)),
            "--outdir",
            str(work / "pdf"),
            *map(str, sources),
        ]
        done = _run(command, work)
        pdfs = {}
        for name, source in zip(documents, sources, strict=True):
            pdf = work / "pdf" / f"{source.stem}.pdf"
            if not pdf.is_file():
                reason = (done.stderr or done.stdout).strip().splitlines()
                raise PolicyBuilderError(
                    f"LibreOffice ({program}) could not lay out a Word file to make its PDF"
                    + (f": {reason[-1][:160]}" if reason else f" (exit status {done.returncode})")
                )
            pdfs[name] = pdf.read_bytes()
    return pdfs


def libreoffice_environment() -> dict[str, str]:
    """The environment LibreOffice runs in: this process's, with a larger heap step unless the user set one."""
    environment = dict(os.environ)
    environment.setdefault("MALLOC_TOP_PAD_", MALLOC_TOP_PAD)
    return environment


def _run(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run LibreOffice in a process group of its own, so a timeout stops soffice.bin too, not only its launcher."""
    # Imported here: every build imports this module to ask page_numbers_wanted(), most never run LibreOffice.
    import signal
    import subprocess

    process = subprocess.Popen(
        command,
        cwd=folder,
        env=libreoffice_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PolicyBuilderError(
            f"LibreOffice took over {TIMEOUT} seconds to lay the documents out; try again"
        ) from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _typed(options: dict[str, bool]) -> dict[str, dict[str, str]]:
    """LibreOffice's JSON filter options name each value's type."""
    return {key: {"type": "boolean", "value": str(value).lower()} for key, value in options.items()}


def publish(documents: dict[str, bytes], pdf: bool) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The Word documents with their contents' page numbers filled in, and, when `pdf`, each as a PDF.

    A document with a contents list is laid out with placeholder numbers,
    filled in from where its bookmarks fell, and (for a PDF) laid out again
    and checked, until the numbers agree with the pages (at most three
    layouts). One LibreOffice run per round, for all the documents at once.
    """
    with libreoffice_profile() as profile:
        return _publish(documents, pdf, profile)


def _publish(documents: dict[str, bytes], pdf: bool, profile: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    anchors = {name: contents_anchors(data) for name, data in documents.items()}
    paged = {name: data for name, data in documents.items() if anchors[name]}
    first = {name: fill_contents(data, dict.fromkeys(anchors[name], _PLACEHOLDER)) for name, data in paged.items()}
    # The documents without contents need one layout only: the PDF.
    plain = {name: data for name, data in documents.items() if name not in paged} if pdf else {}
    pdfs = to_pdf({**first, **plain}, profile)
    numbers = {name: bookmark_pages(pdfs[name], anchors[name]) for name in paged}
    filled = {name: fill_contents(data, numbers[name]) for name, data in paged.items()}
    pending = list(paged) if pdf else []
    for _ in range(_ROUNDS - 1):
        if not pending:
            break
        laid_out = to_pdf({name: filled[name] for name in pending}, profile)
        pdfs.update(laid_out)
        pending = []
        for name, out in laid_out.items():
            pages = bookmark_pages(out, anchors[name])
            if pages != numbers[name]:  # the numbers moved a heading: fill in again and lay out again
                numbers[name] = pages
                filled[name] = fill_contents(paged[name], pages)
                pending.append(name)
    return {**documents, **filled}, (pdfs if pdf else {})


# --- reading LibreOffice's PDF -------------------------------------------------------------

# LibreOffice writes the page tree and the named destinations uncompressed: "/Kids[ 1 0 R 95 0 R ...]"
# lists the pages in order, and "/name[1 0 R/XYZ ...]" each destination with its page object.
_KIDS = re.compile(rb"/Type\s*/Pages\b[^>]*?/Kids\s*\[([^\]]*)\]", re.S)
_REF = re.compile(rb"(\d+)\s+0\s+R")
_DEST = re.compile(rb"/([A-Za-z0-9]+)\s*\[\s*(\d+)\s+0\s+R\s*/XYZ")


def pdf_destinations(pdf: bytes) -> dict[str, int]:
    """The page (from 1) of each named destination in a PDF LibreOffice exported, by its name in the PDF."""
    kids = _KIDS.search(pdf)
    if kids is None:
        return {}
    page_of = {int(ref): index for index, ref in enumerate(_REF.findall(kids.group(1)), start=1)}
    return {name.decode("ascii"): page_of[int(ref)] for name, ref in _DEST.findall(pdf) if int(ref) in page_of}


def bookmark_pages(pdf: bytes, bookmarks: list[str]) -> dict[str, int]:
    """The page of each Word bookmark that is a named destination of the PDF.

    LibreOffice writes each character of a bookmark's name that is not a
    letter or digit as its two hex digits ("document_control" becomes
    "document5Fcontrol").
    """
    destinations = pdf_destinations(pdf)
    pages = {}
    for bookmark in bookmarks:
        name = re.sub(r"[^A-Za-z0-9]", lambda m: f"{ord(m.group()):02X}", bookmark)
        if name in destinations:
            pages[bookmark] = destinations[name]
    return pages

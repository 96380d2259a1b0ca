"""The whole pipeline for one profile: load, assemble, find gaps, render, write."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder.content.library import Library
from policy_builder.content.models import Answers, GapWarning, HistoryEntry, Policy, Questionnaire
from policy_builder.core.output import output_paths, write_set
from policy_builder.pipeline.assemble import build_policy, policy_context
from policy_builder.pipeline.gaps import find_gaps
from policy_builder.pipeline.profile import load_profile
from policy_builder.regen.manifest import build_manifest, end_matter, read_manifest, to_json

if TYPE_CHECKING:
    from policy_builder.render.summary import ReadingLevel

# md and docx: the policy, practice guide and sources annex; summary and leaflet: each as .md and .docx;
# pdf: each of those Word documents as a tagged PDF too (through LibreOffice, so not in FORMATS, which the
# wizard and the web app build in full).
FORMATS = ("md", "docx", "summary", "leaflet")
ALL_FORMATS = (*FORMATS, "pdf")
DEFAULT_FORMATS = ("md", "docx")


@dataclass
class BuildResult:
    profile: Path
    policy: Policy
    warnings: list[GapWarning]
    written: list[Path]
    leaflet_level: ReadingLevel | None = None  # how plain the leaflet is, when one was built
    leaflet_pages: float | None = None  # about how many pages the Word leaflet fills on its template
    notices: list[str] = field(default_factory=list)  # warnings for the person building (one line each)

    @property
    def answers(self) -> Answers:
        return self.policy.answers

    @property
    def date_warning(self) -> str | None:
        """One line when the policy's dates are already past on the day it is built, else None."""
        return date_warning(self.policy)


def date_warning(policy: Policy) -> str | None:
    """The next review already past (the policy is overdue as it is issued), or a draft's effective date
    already past (a draft cannot have been in force): one line naming the dates and what to change.

    An approved policy built after its effective date is a reprint, not a mistake, so says nothing."""
    from policy_builder.content.questionnaire import review_date
    from policy_builder.core.templating import long_date

    values, today = policy.answers.values, policy.answers.build_date
    effective = values.get("document.effective_date")
    review = review_date(values, today)
    problems = []
    if effective is not None and effective < today and policy.draft.is_draft:
        problems.append(f"this draft's effective date, {long_date(effective)}, is already past")
    if review < today:
        problems.append(f"its next review, {long_date(review)}, is already past")
    if not problems:
        return None
    return (
        f"Warning: {' and '.join(problems)} (built on {long_date(today)}); "
        "set document.effective_date to the day the policy takes effect, or document.review_months."
    )


def parse_formats(text: str) -> list[str]:
    from policy_builder.core.errors import PolicyBuilderError

    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ALL_FORMATS]
    if unknown or not formats:
        raise PolicyBuilderError(f"--format: {', '.join(unknown) or 'nothing'} is not one of {', '.join(ALL_FORMATS)}")
    return formats


def build_profile(
    library: Library,
    profile: str | Path,
    out_dir: str | Path,
    formats: list[str] | tuple[str, ...] = DEFAULT_FORMATS,
    *,
    build_date: dt.date | None = None,
    previous: str | Path | None = None,
    reference_docx: str | Path | None = None,
    page_numbers: bool | None = None,
) -> BuildResult:
    """Build one profile's policy and gap report into ``out_dir``.

    Everything is rendered in memory first, then written as one set (output.write_set),
    so a failure at any point leaves the previous policy's files as they were.
    ``page_numbers``: lay the Word files out with LibreOffice to put page numbers
    in their contents (None: when LibreOffice is installed; always for ``pdf``).
    """
    from policy_builder.render.markdown import render_annex, render_gap_report, render_guide, render_policy

    answers = load_profile(profile, library.questionnaire, library.nations, build_date=build_date)
    policy = build_policy(library, answers)
    warnings = find_gaps(library, answers, policy_context(library, answers))
    manifest = build_manifest(library, policy, warnings)
    # Whether this is a draft, and why, travels with the policy (Markdown comment, Word part, manifest file).
    manifest["draft"] = policy.draft.is_draft
    manifest["draft_status"] = policy.draft.as_dict()
    manifest["gaps"] = [
        {**entry, "cause": warning.cause, "unanswered": list(warning.unanswered)}
        for entry, warning in zip(manifest["gaps"], warnings, strict=True)
    ]
    notices: list[str] = []
    if previous is not None:
        old = read_manifest(previous)
        notices += check_previous(previous, old, manifest, Path(out_dir))
        policy, manifest = with_history(policy, manifest, old, library.questionnaire)
    rendered: dict[str, bytes | str] = {}
    pdf = "pdf" in formats
    if pdf:
        from policy_builder.render.pdf import LibreOfficeMissing, soffice

        if soffice() is None:  # before any work, and before anything is written
            raise LibreOfficeMissing()
    word = {"docx", "summary", "leaflet", "pdf"} & set(formats)  # the formats that need a Word file
    reference = reference_template(answers, reference_docx) if word else None
    documents = "docx" in formats or pdf  # the policy, guide and annex in Word (written for docx)
    # md and docx each mean the three documents: the policy first, then the practice guide and the sources annex.
    if "md" in formats:
        rendered["md"] = render_policy(policy) + end_matter(manifest)
    if documents:
        from policy_builder.render.docx import render_docx

        rendered["docx"] = render_docx(policy, reference, manifest)
    if "md" in formats:
        rendered["guide-md"] = render_guide(policy)
    if documents:
        from policy_builder.render.docx import render_guide_docx

        rendered["guide-docx"] = render_guide_docx(policy, reference)
    if "md" in formats:
        rendered["annex-md"] = render_annex(policy)
    if documents:
        from policy_builder.render.docx import render_annex_docx

        rendered["annex-docx"] = render_annex_docx(policy, reference)
    leaflet_level = None
    leaflet_pages = None
    if "summary" in formats or "leaflet" in formats:
        from policy_builder.render.docx import render_handout_docx
        from policy_builder.render.summary import leaflet, reading_level, render_handout_markdown, staff_summary

        for kind, handout in (("summary", staff_summary), ("leaflet", leaflet)):
            if kind in formats:
                built = handout(library, policy)
                rendered[f"{kind}-md"] = render_handout_markdown(built)
                word_file = rendered[f"{kind}-docx"] = render_handout_docx(built, reference)
                if kind == "leaflet":
                    from policy_builder.render.docx.handouts import estimate_pages

                    leaflet_level = reading_level(built)
                    leaflet_pages = estimate_pages(word_file)
    _lay_out(rendered, pdf=pdf, page_numbers=page_numbers, keep_docx="docx" in formats)
    rendered["gaps"] = render_gap_report(policy, warnings, library)
    rendered["manifest"] = to_json(manifest)
    paths = output_paths(Path(out_dir), policy.slug)
    # All or nothing: a failure while writing leaves the previous set of files exactly as it was.
    write_set([(paths[kind], content) for kind, content in rendered.items()])
    written = [paths[kind] for kind in rendered]
    return BuildResult(
        profile=Path(profile),
        policy=policy,
        warnings=warnings,
        written=written,
        leaflet_level=leaflet_level,
        leaflet_pages=leaflet_pages,
        notices=notices,
    )


@dataclass
class BatchItem:
    """One profile of a batch: what it built, or the message of the error that stopped it.

    It crosses back from a worker process, so it carries the error's one-line message rather than
    the exception (a located error cannot be rebuilt from its pickled arguments)."""

    profile: Path
    result: BuildResult | None = None
    error: str | None = None  # str(PolicyBuilderError): the line the user reads


def default_jobs(profiles: int) -> int:
    """Processes for a batch of this many profiles when the caller does not say."""
    import os

    # Starting workers costs more than it saves for a handful of profiles.
    return min(os.cpu_count() or 1, profiles) if profiles >= 8 else 1


def build_many(
    library: Library,
    profiles: Sequence[str | Path],
    out_dir: str | Path,
    formats: list[str] | tuple[str, ...] = DEFAULT_FORMATS,
    *,
    jobs: int | None = None,
    build_date: dt.date | None = None,
    previous: str | Path | None = None,
    reference_docx: str | Path | None = None,
    page_numbers: bool | None = None,
) -> Iterator[BatchItem]:
    """Build every profile into ``out_dir``: one `BatchItem` each, in the order given.

    A batch whose profiles would overwrite each other's files is refused here, before anything is
    built. A profile that fails does not stop the others: its item carries the error. ``jobs``:
    processes to build in (default: one per core for eight profiles or more, else one).
    """
    paths = [Path(profile) for profile in profiles]
    check_distinct_outputs(library, paths, out_dir)
    batch = _Batch(
        library,
        Path(out_dir),
        tuple(formats),
        {
            "build_date": build_date,
            "previous": previous,
            "reference_docx": reference_docx,
            "page_numbers": page_numbers,
        },
    )
    count = max(1, jobs) if jobs is not None else default_jobs(len(paths))
    return _run_batch(batch, paths, count)


@dataclass
class _Batch:
    """What every build of a batch shares; each worker process holds its own copy."""

    library: Library
    out_dir: Path
    formats: tuple[str, ...]
    options: dict[str, Any]
    builds: int = field(default=0)  # builds since memory was last handed back (per process)

    def build(self, profile: Path) -> BatchItem:
        from policy_builder.core.errors import PolicyBuilderError

        try:
            result = build_profile(self.library, profile, self.out_dir, self.formats, **self.options)
        except PolicyBuilderError as exc:
            return BatchItem(profile, error=str(exc))
        self.builds += 1
        # Every second build: with the Word template kept parsed in each process (render/docx/template.py),
        # trimming every fourth build let a two-worker batch of 20 peak at 156-164 MB PSS against 140 MB
        # before; every second build keeps it at 140 MB for no measurable CPU (0.37-0.39 s a policy).
        if self.builds >= 2:
            self.builds = 0
            _release_memory()
        return BatchItem(profile, result)


def _run_batch(batch: _Batch, profiles: list[Path], jobs: int) -> Iterator[BatchItem]:
    if jobs <= 1:
        yield from map(batch.build, profiles)
        return
    import multiprocessing

    # fork: workers inherit the loaded, compiled library (passed to the initializer, never pickled)
    # instead of loading it again; each result is pickled back.
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(batch,)) as pool:
        yield from pool.imap(_build_in_worker, profiles)
        pool.close()
        pool.join()


# Set only inside a worker process, by its initializer: Pool.imap can hand a worker a function and an
# argument, not the batch it belongs to.
_worker_batch: _Batch | None = None


def _start_worker(batch: _Batch) -> None:
    global _worker_batch
    _worker_batch = batch


def _build_in_worker(profile: Path) -> BatchItem:
    assert _worker_batch is not None, "a batch worker builds only after _start_worker"
    return _worker_batch.build(profile)


def _release_memory() -> None:
    """Hand freed memory back to the system between builds of a batch.

    Each Word document frees a few MB of lxml memory in pieces glibc keeps; over a
    batch of hundreds that reads as growth (96 MB after 16 builds, 39 MB once trimmed).
    """
    import gc

    gc.collect()  # python-docx's element proxies sit in reference cycles; collect them first
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None on a system without it."""
    try:
        import ctypes

        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def check_previous(previous: str | Path, old: dict[str, Any], manifest: dict[str, Any], out_dir: Path) -> list[str]:
    """Refuse a previous issue this build would overwrite, or another organisation's; warn of a version not raised.

    The previous issue is the OLD side of `changes` and the redline for the board: written over, it is gone.
    A policy's history belongs to one organisation: a previous issue whose organisation name and short name
    both differ is another employer's file picked by mistake (a successor body starts its own history at
    1.0), so it is refused; when only one differs the organisation was probably renamed, and a warning says so.
    """
    from policy_builder.core.errors import PolicyBuilderError, display_path
    from policy_builder.core.output import same_file

    slug = str(manifest.get("slug") or "")
    if any(same_file(previous, path) for path in output_paths(out_dir, slug).values()):
        raise PolicyBuilderError(
            f"--previous: {display_path(previous)} is one of the files this build writes, so the previous issue "
            f"would be replaced by the new one; build the new issue into another folder, e.g. --out "
            f"{display_path(out_dir / 'v-next')}, or move the previous issue out of {display_path(out_dir)} first"
        )
    notices = []
    names = _organisation_names(old), _organisation_names(manifest)
    (old_name, old_short), (new_name, new_short) = names
    if _same_name(old_name, new_name) is False and _same_name(old_short, new_short) is False:
        raise PolicyBuilderError(
            f"--previous: {display_path(previous)} is the policy of {old_name!r}, not of {new_name!r}; a policy's "
            "version history belongs to one organisation: give this organisation's previous issue, or build "
            "without --previous"
        )
    if _same_name(old_name, new_name) is False or _same_name(old_short, new_short) is False:
        differ = _same_name(old_name, new_name) is False
        old_shown, new_shown = (old_name, new_name) if differ else (old_short, new_short)
        notices.append(
            f"Warning: the previous issue ({display_path(previous)}) is {old_shown!r}'s policy and this one is "
            f"{new_shown!r}'s; its version history is carried on as for a renamed organisation"
        )
    old_version = (old.get("document") or {}).get("version")
    new_version = manifest["document"]["version"]
    if old_version is not None and str(old_version).strip() == str(new_version).strip():
        notices.append(
            f"Warning: document.version is {new_version}, the same as the previous issue's; raise it in the profile "
            "(for example to the next number) so the version history tells the two issues apart"
        )
    return notices


def _organisation_names(manifest: dict[str, Any]) -> tuple[str, str]:
    given = manifest.get("answers")
    answers: dict[str, Any] = given if isinstance(given, dict) else {}
    name = manifest.get("organisation") or answers.get("organisation.name") or ""
    return str(name), str(answers.get("organisation.short_name") or "")


def _same_name(first: str, second: str) -> bool | None:
    """Names compared as a reader would (case and spacing aside); None when either is missing."""
    if not first.strip() or not second.strip():
        return None
    return " ".join(first.casefold().split()) == " ".join(second.casefold().split())


def _lay_out(rendered: dict[str, bytes | str], *, pdf: bool, page_numbers: bool | None, keep_docx: bool) -> None:
    """Page numbers in the Word contents and, for ``pdf``, a PDF after each Word file (render/pdf.py)."""
    from policy_builder.core.errors import PolicyBuilderError
    from policy_builder.render.pdf import page_numbers_wanted, publish

    word = {kind: data for kind, data in rendered.items() if kind.endswith("docx") and isinstance(data, bytes)}
    if not word or not (pdf or page_numbers_wanted(page_numbers)):
        return
    if pdf:
        documents, pdfs = publish(word, pdf=True)
    else:
        try:
            documents, pdfs = publish(word, pdf=False)
        except PolicyBuilderError:
            return  # LibreOffice failed: the contents stay marked for Word to fill in on opening
    for kind in list(rendered):
        if kind in documents:
            rendered[kind] = documents[kind]
        if kind in pdfs:
            rendered[kind.replace("docx", "pdf")] = pdfs[kind]
    if not keep_docx:  # pdf without docx: the policy, guide and annex in Word were only the way to the PDF
        for kind in ("docx", "guide-docx", "annex-docx"):
            rendered.pop(kind, None)


def check_distinct_outputs(library: Library, profiles: list[Path] | tuple[Path, ...], out_dir: str | Path) -> None:
    """Refuse, before anything is written, a batch in which two profiles would write the same files.

    Each profile's files are named from its organisation.short_name; two with the same one (or one
    profile given twice) would overwrite each other, and with --jobs could leave a mix of both. A
    profile that does not load is skipped here: its own build reports it.
    """
    import unicodedata

    from policy_builder.core.errors import PolicyBuilderError, display_path

    if len(profiles) < 2:
        return
    owners: dict[str, tuple[Path, str]] = {}
    for profile in profiles:
        try:
            answers = load_profile(profile, library.questionnaire, library.nations)
        except PolicyBuilderError:
            continue
        slug = answers.slug
        name = str(answers.values.get("organisation.short_name") or answers.values.get("organisation.name") or "")
        first, first_name = owners.setdefault(slug, (profile, name))
        if first is not profile:
            twice = Path(first).resolve() == Path(profile).resolve()
            target = display_path(output_paths(Path(out_dir), slug)["md"])
            if twice:
                same, fix = "is given twice", "give it once"
            elif name == first_name:
                same = f"has the same short name as {display_path(first)}"
                fix = "give each profile its own organisation.short_name, or build them into different --out folders"
            else:
                # The names differ, so say why they still clash: the file name keeps only letters and digits.
                # Two spellings of one look (é as one character or as e and an accent) shown by their codes.
                alike = unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", first_name)
                same = (
                    f"has a short name ({_quoted_name(name, alike)}) that gives the same file name as "
                    f"{display_path(first)}'s ({_quoted_name(first_name, alike)})"
                )
                fix = (
                    "file names keep only the short name's letters and digits, in lower case, without accents "
                    "and cut to 60 characters; give one of them a short name that differs in its letters, or "
                    "build them into different --out folders"
                )
            raise PolicyBuilderError(
                f"{display_path(profile)}: {same}, so both would write {target} and the rest; {fix}; nothing was written"
            )


def _quoted_name(name: str, codes: bool = False) -> str:
    """A short name quoted for a message (with codes for every non-ASCII character when ``codes``), cut when
    long: the message names the file too."""
    cut = name if len(name) <= 50 else name[:24] + "..." + name[-23:]
    return ascii(cut) if codes else repr(cut)


def reference_template(answers: Answers, override: str | Path | None = None) -> Path | None:
    """The Word template to build on: --reference-docx, else the profile's document.reference_docx
    (relative to the profile file), else None for the bundled templates/reference.docx."""
    from policy_builder.core.errors import PolicyBuilderError, ProfileError, display_path, not_found

    if override is not None:
        path = Path(override).expanduser()
        if not _is_file(path):
            raise PolicyBuilderError(f"--reference-docx: {display_path(path)} {not_found(path)}")
        return path
    given = answers.values.get("document.reference_docx")
    if not given:
        return None
    base = answers.path.parent if answers.path else Path.cwd()
    path = base / Path(given).expanduser()
    if not _is_file(path):
        raise ProfileError(
            answers.path,
            answers.lines.get("document.reference_docx"),
            f"document.reference_docx: '{given}' {not_found(path)} (looked for {display_path(path)}); "
            "give the path of a Word .docx or .dotx file, relative to the profile",
        )
    return path


def _is_file(path: Path) -> bool:
    """is_file() that says no, rather than raising, for a path the system cannot look up (too long, bad bytes)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def with_history(
    policy: Policy, manifest: dict[str, Any], old: dict[str, Any], questionnaire: Questionnaire | None = None
) -> tuple[Policy, dict[str, Any]]:
    """Add the version history and a summary of changes since the previous issue (answers in words)."""
    from policy_builder.regen.changes import compare, history_summary, since_markdown

    changes = compare(old, manifest, questionnaire)
    earlier = [HistoryEntry(str(h["version"]), str(h["date"]), str(h["summary"])) for h in old.get("history", [])]
    if not earlier:
        old_doc = old.get("document", {})
        earlier = [HistoryEntry(str(old_doc.get("version")), str(old_doc.get("effective_date")), "Issued.")]
    this = HistoryEntry(
        str(manifest["document"]["version"]), str(manifest["document"]["effective_date"]), history_summary(changes)
    )
    old_version = old.get("document", {}).get("version")
    policy = replace(
        policy,
        history=(*earlier, this),
        changes_since=f"Changes since version {old_version}:\n\n{since_markdown(changes)}",
    )
    manifest = dict(manifest)
    manifest["history"] = [{"version": h.version, "date": h.date, "summary": h.summary} for h in policy.history]
    return policy, manifest

"""What went into an issued policy, recorded so any issue can be compared later.

Every build writes the manifest beside the policy (`<slug>-manifest.json`)
and embeds it in both outputs: a closing comment in the Markdown, a custom XML
part in the Word file. So a policy can be compared even if only the .docx
survives. `clauses` are the policy's own (what `changes` and `check` compare);
`guide_clauses` record what the practice guide held.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_builder import __version__
from policy_builder.content.models import GapWarning, Policy
from policy_builder.content.versions import text_hash
from policy_builder.core.errors import display_path
from policy_builder.regen import readback
from policy_builder.regen.readback import ReadBackError

if TYPE_CHECKING:  # only a type here: the build has loaded it already
    from policy_builder.content.library import Library

MANIFEST_VERSION = 1
FRONT_MATTER_KEY = "policy_builder_manifest"


def json_safe(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def build_manifest(library: Library, policy: Policy, warnings: list[GapWarning]) -> dict[str, Any]:
    answers = policy.answers
    from policy_builder.content.questionnaire import review_date

    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "policy-builder", "version": __version__},
        "library": {"version": library.version, "questionnaire_version": library.questionnaire.version},
        "built": answers.build_date.isoformat(),
        "profile": {
            "path": display_path(answers.path) if answers.path else None,
            "sha256": answers.profile_sha256,
        },
        "organisation": policy.organisation,
        "slug": policy.slug,
        "document": {
            "version": answers.values["document.version"],
            "effective_date": json_safe(answers.values["document.effective_date"]),
            "review_date": review_date(answers.values, answers.build_date).isoformat(),
        },
        "answers": {qid: json_safe(value) for qid, value in answers.values.items()},
        "clauses": [
            {
                "id": clause.id,
                "number": clause.number,
                "title": clause.title,
                "version": clause.version,
                "local": clause.local,
                "sha256": text_hash(clause.title, clause.text),
                "text": clause.text,
                **({"guide": clause.guide_ref} if clause.guide_ref else {}),  # its pointer to the practice guide
            }
            for clause in policy.clauses
        ],
        # The practice guide's clauses: explanation, not rules; listed so an issue records what its guide held.
        "guide_clauses": [
            {
                "id": clause.id,
                "number": clause.number,
                "title": clause.title,
                "version": clause.version,
                "sha256": text_hash(clause.title, clause.text),
            }
            for clause in policy.guide_clauses
        ],
        "gaps": [{"id": w.id, "severity": w.severity, "message": w.message} for w in warnings],
        "history": [{"version": h.version, "date": h.date, "summary": h.summary} for h in policy.history],
    }


def without_text(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest for the Markdown policy: the clause text is the document itself."""
    slim = dict(manifest)
    slim["clauses"] = [{k: v for k, v in c.items() if k != "text"} for c in manifest["clauses"]]
    return slim


# The Markdown policy carries its manifest at its end, in an HTML comment that Markdown readers and
# publishing systems do not show: a person reading the file meets the policy first, not 1,000 lines of data.
# (Policies built before 2.0 carry it as front matter; both are read.)
MANIFEST_COMMENT = "<!-- policy-builder manifest"
_END_MATTER = re.compile(r"\n<!-- policy-builder manifest[^\n]*\n(.*?)\n-->\s*\Z", flags=re.S)


def end_matter(manifest: dict[str, Any]) -> str:
    """The manifest as the Markdown policy's last lines, in a comment. JSON, as it is far quicker to write
    than YAML; "-->" can occur only inside its strings, where \\u003e keeps the comment closed."""
    body = _json_escaped(json.dumps({FRONT_MATTER_KEY: without_text(manifest)}, indent=1, ensure_ascii=False))
    body = body.replace("-->", "--\\u003e")
    return f"\n{MANIFEST_COMMENT}: data for policy-builder changes and check, not part of the policy\n{body}\n-->\n"


def split_markdown(text: str) -> tuple[str, str | None]:
    """A Markdown policy's text without its manifest, and the manifest's source (None if it has none)."""
    front = re.match(r"---\n(.*?)\n---\n", text, flags=re.S)
    if front:
        return text[front.end() :], front.group(1)
    end = _END_MATTER.search(text)
    if end:
        return text[: end.start()] + "\n", end.group(1)
    return text, None


def to_json(manifest: dict[str, Any]) -> str:
    return _json_escaped(json.dumps(manifest, indent=2, ensure_ascii=False)) + "\n"


# JSON escapes C0 controls itself; C1 controls (U+009B is a terminal's CSI) and the Unicode line and paragraph
# separators it leaves raw, so `cat` of a manifest or of a Markdown policy's end matter could drive a terminal.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")


def _json_escaped(text: str) -> str:
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


ManifestError = ReadBackError  # the name the commands and tests know


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of an issued policy: a .json manifest, a .md policy or a .docx policy.

    Everything goes through policy_builder.regen.readback: a regular file, within its size, UTF-8, nested no
    deeper than a manifest is, and matching MANIFEST_SCHEMA; otherwise one line naming the file and field.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        manifest = _parse_json(readback.read_text(path, readback.MAX_MANIFEST_BYTES, "a manifest"), path)
    elif suffix == ".md":
        return _from_markdown(path)
    elif suffix == ".docx":
        manifest = _from_docx(path)
    else:
        readback.open_regular(path, readback.MAX_MANIFEST_BYTES, "a manifest").close()  # a missing file first
        raise ManifestError(path, None, "expected a policy (.md or .docx) or a manifest (.json)")
    return checked(manifest, path)


def checked(manifest: Any, path: Path) -> dict[str, Any]:
    """``manifest`` once it is shallow enough, has dates as text and matches the schema."""
    manifest = readback.plain(manifest, path)
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        raise ManifestError(path, None, f"not a policy-builder manifest (version {MANIFEST_VERSION})")
    readback.validate(manifest, MANIFEST_SCHEMA, path, advice="; the manifest is damaged or was edited by hand")
    return manifest


def _parse_json(text: str, path: Path, where: str = "") -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        # Python's own advice for an over-long number (sys.set_int_max_str_digits) is for programmers.
        reason = "a number thousands of digits long" if "int_max_str_digits" in str(exc) else str(exc)
        raise ManifestError(path, None, f"{where}not a policy-builder manifest ({reason})") from None
    except RecursionError:
        raise ManifestError(path, None, f"{where}not a policy-builder manifest (nested too deeply)") from None


def _from_docx(path: Path) -> Any:
    """The manifest part: ours by name, or (after Word saved the file) one of its customXml items."""
    # LibreOffice saves the part again with its quotes as &quot; (and may use character references), so
    # every XML escape is undone, in one pass, not only the three saxutils knows.
    from html import unescape

    from policy_builder.render.docx_manifest import NAMESPACE, candidates

    pattern = re.compile(rf'<manifest xmlns="{re.escape(NAMESPACE)}">(.*)</manifest>', flags=re.S)
    for name, raw in readback.read_zip_members(path, candidates):
        try:
            xml = raw.decode("utf-8")
        except UnicodeDecodeError:
            if name != candidates([])[0]:
                continue  # another program's custom XML, in another encoding: not ours
            raise ManifestError(path, None, f"its part {name} is not UTF-8 text; the file is damaged") from None
        match = pattern.search(xml)
        if match is not None:
            return _parse_json(unescape(match.group(1)), path, f"its part {name} is ")
    raise ManifestError(path, None, "this Word file has no policy-builder manifest inside it")


_TEXT = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
# What changes, check and build --previous read from a manifest. Fields the tool writes but no command
# reads back (tool, profile, draft_status...) may be anything; fields read back are typed.
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["manifest_version", "built", "document", "clauses"],
    "properties": {
        "manifest_version": {"const": MANIFEST_VERSION},
        "built": _DATE,
        "organisation": _TEXT,
        "slug": _TEXT,
        "document": {
            "type": "object",
            "required": ["review_date"],
            "properties": {
                "version": {"type": ["string", "number", "null"]},
                "review_date": _DATE,
                "effective_date": {**_DATE, "type": ["string", "null"]},
            },
        },
        "library": {
            "type": "object",
            "properties": {"version": {"type": ["string", "null"]}, "questionnaire_version": _SCALAR},
        },
        "answers": {
            "type": "object",
            "maxProperties": 2000,
            "additionalProperties": {
                "anyOf": [_SCALAR, {"type": "array", "maxItems": 500, "items": _SCALAR}],
            },
        },
        "clauses": {
            "type": "array",
            "maxItems": 20000,
            "items": {
                "type": "object",
                "required": ["id", "number", "title", "sha256"],
                "properties": {
                    "id": _TEXT,
                    "number": _TEXT,
                    "title": _TEXT,
                    "sha256": _TEXT,
                    "version": {"type": ["integer", "null"]},
                    "local": {"type": ["string", "null"]},
                    "text": {"type": ["string", "null"]},
                    "guide": {"type": ["string", "null"]},
                },
            },
        },
        "guide_clauses": {
            "type": "array",
            "items": {"type": "object", "required": ["id"], "properties": {"id": _TEXT}},
        },
        "gaps": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "severity", "message"],
                "properties": {"id": _TEXT, "severity": _TEXT, "message": _TEXT},
            },
        },
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["version", "date", "summary"],
                "properties": {"version": {"type": ["string", "number"]}, "date": _TEXT, "summary": _TEXT},
            },
        },
    },
}


_HEADING = re.compile(r"^#{2,3} (\d+\.\d+) ")


def _from_markdown(path: Path) -> dict[str, Any]:
    text = readback.read_text(path, readback.MAX_MARKDOWN_BYTES, "a Markdown policy")
    body, source = split_markdown(text)
    if source is None:
        raise ManifestError(path, None, "this Markdown policy has no policy-builder manifest (at its end)")
    data = _front_matter_data(source, path)
    manifest = data.get(FRONT_MATTER_KEY) if isinstance(data, dict) else None
    if not isinstance(manifest, dict):
        raise ManifestError(path, None, f"its manifest has no {FRONT_MATTER_KEY}")
    manifest = checked(manifest, path)  # before the clause texts are filled in from the body, which reads each clause
    texts = clause_texts_from_markdown(body)
    for clause in manifest.get("clauses", []):
        clause["text"] = _without_pointer(texts.get(clause["number"], ""), clause.get("guide"))
    return manifest


def _front_matter_data(body: str, path: Path) -> Any:
    """The front matter: JSON as the tool writes it (quick), else YAML as a person may have written it.

    YAML goes through the profile loader's safe reader: no aliases (a billion laughs), no tags, no
    duplicate keys, a depth limit, and messages with the line in the file (front matter starts on line 2).
    """
    try:
        return json.loads(body)
    except RecursionError:
        raise ManifestError(path, None, "its front matter is nested too deeply") from None
    except ValueError:
        pass
    from policy_builder.core import yamlio

    return yamlio.loads(body, path, ManifestError, first_line=2).data


def _without_pointer(text: str, guide_number: str | None) -> str:
    """A clause's text without the line pointing to the practice guide, which is not part of the clause."""
    if not guide_number:
        return text
    from policy_builder.render.markdown import parts

    pointer = str(parts().guide_pointer(guide_number))
    return "\n".join(line for line in text.splitlines() if line != pointer).strip()


def clause_texts_from_markdown(body: str) -> dict[str, str]:
    """Clause number -> its text, read back from a rendered Markdown policy."""
    texts: dict[str, list[str]] = {}
    current: str | None = None
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = heading.group(1)
            texts[current] = []
        elif line.startswith("## ") or line.startswith("### ") or line.startswith("# "):
            current = None
        elif current is not None:
            texts[current].append(line)
    result = {}
    for number, lines in texts.items():
        kept = [line for line in lines if not line.startswith("*Local wording")]
        result[number] = "\n".join(kept).strip()
    return result

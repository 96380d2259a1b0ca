"""The Word template a document is built on, and its styles.

Each document is built on a reference template: the bundled
templates/reference.docx (made by scripts/make_reference_docx.py) or the
employer's own, via --reference-docx or `document.reference_docx`. The
template's body is cleared and its styles, page set-up, headers and logo are
kept. A style the employer's template lacks is copied in from the bundled one.
"""

from __future__ import annotations

import copy
import io
import zipfile
import zlib
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.styles import CT_Style
from docx.parts.styles import StylesPart
from docx.styles.style import BaseStyle, ParagraphStyle, StyleFactory
from lxml import etree

from policy_builder.content.library import DATA_ROOT
from policy_builder.core.errors import PolicyBuilderError, display_path, os_reason
from policy_builder.render.docx.ooxml import numbering, set_compatibility_mode
from policy_builder.render.docx.package import Deflated, deflate, members, share
from policy_builder.render.docx.safety import sanitise

REFERENCE_DOCX = DATA_ROOT / "templates" / "reference.docx"
_ON = ("1", "true", "on")  # w:default's values that mean yes (ST_OnOff)
_TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCUMENT_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


# --- the template ---------------------------------------------------------------------------


def open_template(reference_docx: Path | None = None) -> DocxDocument:
    """The employer's (or the bundled) template, body cleared, styles and headers kept.

    The template is read, checked (safety.sanitise) and parsed once a process, and each document gets its own
    copy of the parsed parts; its parts as a save would write them are deflated once too, so the parts a
    document leaves as they were are not deflated again (package.py).
    """
    path = Path(reference_docx) if reference_docx else REFERENCE_DOCX
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyBuilderError(f"{display_path(path)}: Word template not found") from None
    except OSError as exc:
        raise PolicyBuilderError(f"{display_path(path)}: cannot read the Word template ({os_reason(exc)})") from None
    prepared = _prepared(data, path)
    # A deep copy of the whole document: python-docx keeps each part's root element, which copy.deepcopy copies
    # once for every reference to it, and the prepared document holds no reference below a root (the body
    # is reached through the root each time), so the copy's objects all point into the copy's own trees.
    # All but the styles part's root: a copy of that (350 KB of XML in the bundled template) is made only when
    # something asks this document's styles part for its XML (_CopiedStyles); until then the template's are read.
    styles = prepared.styles
    memo = {id(styles.element): None} if styles is not None else {}
    document = copy.deepcopy(prepared.document, memo)
    if styles is not None:
        part = document.part.part_related_by(RT.STYLES)
        part.__class__ = _CopiedStyles
        part.__dict__.update(_own=None, _template=styles)
    share(document, prepared.deflated)
    return document


class _TemplateStyles:
    """A prepared template's styles part, never changed: its XML, its bytes as saved, its styles by name."""

    def __init__(self, element: etree._Element, blob: bytes) -> None:
        self.element = element
        self.blob = blob
        self.index = _StyleIndex(element)
        self.default_paragraph: etree._Element | None | Literal[False] = False  # False: not looked for yet


class _CopiedStyles(StylesPart):
    """A document's styles part that is its template's until something asks for its XML, then a copy of it.

    Asking for the XML (``element``, and so ``document.styles``) makes this document's own copy, which it may
    change; until then the part saves as the template's bytes, and `Styles` reads the template's styles (never
    changing them) for what the writer looks up: style ids, list numbering, fonts, whether a change is needed.
    """

    _own: etree._Element | None
    _template: _TemplateStyles

    @property  # type: ignore[override]  # python-docx's XmlPart keeps it as an attribute; a property here
    def _element(self) -> etree._Element:
        if self._own is None:
            self._own = copy.deepcopy(self._template.element)
        return self._own

    @_element.setter
    def _element(self, element: etree._Element) -> None:
        self._own = element

    @property
    def blob(self) -> bytes:
        return self._template.blob if self._own is None else super().blob

    @property
    def template(self) -> _TemplateStyles | None:
        """The template's styles while this document's are still those, else None."""
        return self._template if self._own is None else None


class _Prepared:
    """A template made ready once: the document every build on it starts from, and its members deflated."""

    def __init__(self, document: DocxDocument, deflated: dict[bytes, Deflated], styles: _TemplateStyles | None) -> None:
        self.document = document
        self.deflated = deflated
        self.styles = styles  # None: a template whose styles part is not python-docx's StylesPart (copied whole)


@lru_cache(maxsize=8)
def _prepared(data: bytes, path: Path) -> _Prepared:
    """The template checked, parsed and cleared, once for each template in a process: one build opens the same
    template for every Word file (six in the browser wizard's), and a server builds on it again and again.
    A template refused is not kept. What sanitise made of it and its deflated parts are kept between runs
    in the signed cache folder (docx/), keyed by the template's bytes and this code."""
    name = display_path(path)
    kept = _load_kept(data)
    try:
        as_document = _as_document(data, path)
        if kept is not None and kept.sanitised is None:
            sanitised = as_document  # sanitise found nothing to remove: the file as it is
        elif kept is not None and kept.sanitised is not None:
            sanitised = kept.sanitised
        else:
            # Sanitised before python-docx sees it: nothing that fetches content rides into the policy.
            sanitised = sanitise(as_document, name)
        document = Document(io.BytesIO(sanitised))
    except PolicyBuilderError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
        # lxml's XMLSyntaxError is a SyntaxError; python-docx raises ValueError for other file types.
        raise PolicyBuilderError(
            f"{name}: not a Word document or template that can be read ({_short_reason(exc)}); "
            "open it in Word and save it as a Word Document (.docx) or Word Template (.dotx)"
        ) from None
    body = document.element.body
    for element in list(body):
        if element.tag != qn("w:sectPr"):  # keep the page set-up, headers and footers
            body.remove(element)
    set_compatibility_mode(document)
    deflated: dict[bytes, Deflated] = {}
    named: dict[str, Deflated] = {}
    fresh = False
    members_read = members(document.part.package)
    for member, blob in members_read:
        found = kept.members.get(member) if kept is not None else None
        # Kept for these very bytes (the file is signed; its key is the template's bytes): still checked.
        if found is None or found[1] != len(blob) or found[0] != zlib.crc32(blob):
            found = deflate(blob)
            fresh = True
        deflated[blob] = named[member] = found
    if kept is None or fresh:
        _keep(data, None if sanitised is as_document else sanitised, named)
    styles = None
    try:
        part = document.part.part_related_by(RT.STYLES)
    except KeyError:  # none: python-docx makes a default one in the document that asks for it
        part = None
    if type(part) is StylesPart and part.partname.membername in named:
        blob = next(blob for member, blob in members_read if member == part.partname.membername)
        styles = _TemplateStyles(part.element, blob)
    return _Prepared(document, deflated, styles)


# --- kept between runs --------------------------------------------------------------------------

KEPT_FORMAT = "policy-builder prepared template 1"


class _Kept:
    """What a run before found of a template: what sanitise made of it (None: the file as it was) and its
    members as the prepared document saves them, deflated, by name."""

    def __init__(self, sanitised: bytes | None, members: dict[str, Deflated]) -> None:
        self.sanitised = sanitised
        self.members = members


def _kept_path(data: bytes) -> Path | None:
    """The signed cache file for this template and this code, or None when no cache folder can be kept."""
    import hashlib
    import sys

    import docx

    from policy_builder.core.templating import cache_folder

    folder = cache_folder()
    if folder is None:
        return None
    digest = hashlib.sha256()
    for part in (KEPT_FORMAT, sys.version, docx.__version__, str(etree.LXML_VERSION), zlib.ZLIB_RUNTIME_VERSION):
        digest.update(part.encode() + b"\0")
    try:
        # This package's code decides what sanitise removes and how the prepared document looks.
        for module in sorted(Path(__file__).parent.glob("*.py")):
            info = module.stat()
            digest.update(f"{module.name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    except OSError:
        return None
    digest.update(data)
    return folder / "docx" / f"{digest.hexdigest()[:40]}.bin"


def _load_kept(data: bytes) -> _Kept | None:
    """The kept findings for this template, or None if there are none that can be trusted and read."""
    import json

    from policy_builder.core import signed_cache

    path = _kept_path(data)
    raw = signed_cache.load(path.parent.parent, path) if path is not None else None
    if raw is None:
        return None
    head, _, rest = raw.partition(b"\n")
    try:
        header = json.loads(head)
        sanitised_size = header["sanitised"]
        listed = header["members"]
        if sanitised_size is not None and type(sanitised_size) is not int:
            return None
        at = sanitised_size or 0
        found: dict[str, Deflated] = {}
        for name, crc, size, length in listed:
            if not (type(name) is str and type(crc) is int and type(size) is int and type(length) is int):
                return None
            found[name] = (crc, size, rest[at : at + length])
            at += length
    except (ValueError, KeyError, TypeError):
        return None
    if at != len(rest):
        return None
    return _Kept(rest[:sanitised_size] if sanitised_size is not None else None, found)


def _keep(data: bytes, sanitised: bytes | None, members: dict[str, Deflated]) -> None:
    """Keep what was found of this template for the next run (best effort: nothing kept is no error)."""
    import json

    from policy_builder.core import signed_cache

    path = _kept_path(data)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return
    header = {
        "sanitised": len(sanitised) if sanitised is not None else None,
        "members": [[name, crc, size, len(body)] for name, (crc, size, body) in members.items()],
    }
    bodies = b"".join(body for _crc, _size, body in members.values())
    signed_cache.store(path.parent.parent, path, json.dumps(header).encode() + b"\n" + (sanitised or b"") + bodies)


def _short_reason(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    if isinstance(exc, zipfile.BadZipFile):
        return "it is not a .docx file"
    if "content type is" in text:
        return "it is not a Word document"
    return text[:80] or type(exc).__name__


def _as_document(data: bytes, path: Path) -> bytes:
    """A .dotx template is a .docx with another content type: rewrite it so python-docx opens it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
        if b"macroEnabled" in types:
            raise PolicyBuilderError(
                f"{display_path(path)}: a macro-enabled Word file cannot be used as a template; "
                "save it as a Word Document (.docx) or Word Template (.dotx)"
            )
        if _TEMPLATE_TYPE not in types:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in archive.infolist():
                content = archive.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    content = content.replace(_TEMPLATE_TYPE, _DOCUMENT_TYPE)
                target.writestr(info, content)
        return out.getvalue()


@cache
def _bundled_reference() -> DocxDocument:
    return Document(str(REFERENCE_DOCX))


class Styles:
    """The styles the documents use, found by their built-in name; missing ones are copied from the bundle.

    A style to change (``__call__``, ``paragraph``) is this document's own, which makes its own copy of its
    template's styles (_CopiedStyles); a style only read (``reading``, ``id``, ``paragraph_id``) is read from
    the template's while the document has no copy, so a document that changes no style makes none.
    """

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self._found: dict[str, BaseStyle] = {}
        self._index: _StyleIndex | None = None
        self._ids: dict[str, str] = {}
        # The default paragraph style, and the styles element it was looked for in (False: not looked for yet).
        self._default_paragraph: tuple[etree._Element, etree._Element | None] | Literal[False] = False
        self._part: StylesPart | None | Literal[False] = False  # False: not looked up yet

    def __call__(self, name: str) -> BaseStyle:
        key = name.lower()
        if key not in self._found:
            if self._index is None:
                self._index = _StyleIndex(self.document.styles.element)
            element = self._index.find(name)
            if element is None:
                element = self._copy_from_bundle(name)
            self._found[key] = StyleFactory(element)
        return self._found[key]

    def template(self) -> _TemplateStyles | None:
        """The template's styles, while this document's styles are still exactly those (no copy made)."""
        if self._part is False:
            try:
                self._part = self.document.part.part_related_by(RT.STYLES)  # type: ignore[assignment]  # a StylesPart
            except KeyError:
                self._part = None
        return self._part.template if isinstance(self._part, _CopiedStyles) else None

    def reading(self, name: str) -> BaseStyle:
        """The style named ``name``, to read and never to change: the template's own while this document has
        no copy of its styles, so reading makes none; a style the template lacks is found (or copied in) as
        ``__call__`` finds it."""
        if (template := self.template()) is not None:
            element = template.index.find(name)
            if element is not None:
                return StyleFactory(element)
        return self(name)

    def id(self, name: str) -> str:
        # Kept by name: the writer asks for a style id for every paragraph and run, and python-docx reads
        # it from the XML each time. A style's id never changes once it is found (or copied in).
        key = name.lower()
        style_id = self._ids.get(key)
        if style_id is None:
            style_id = self._ids[key] = self.reading(name).style_id
        return style_id

    def paragraph(self, name: str, *, reading: bool = False) -> ParagraphStyle:
        """A paragraph style (one whose font and spacing are set): the template must not define it as another type.
        ``reading``: to read only (see `reading`)."""
        style = self.reading(name) if reading else self(name)
        if not isinstance(style, ParagraphStyle):
            raise PolicyBuilderError(
                f"the Word template's '{name}' style is not a paragraph style; "
                "rename it in the template, or delete it so the bundled one is used"
            )
        return style

    def paragraph_id(self, name: str) -> str | None:
        """The id a paragraph in paragraph style ``name`` names, as python-docx's ``Paragraph.style`` setter gives it:
        None for the template's default paragraph style (a paragraph without a style has it)."""
        style = self.paragraph(name, reading=True)
        styles = style.element.getparent()
        if self._default_paragraph is False or self._default_paragraph[0] is not styles:
            # Found once a document (and once more if it makes its own copy of the template's styles): a style
            # copied in from the bundle is never marked default. In the template's styles, once a template.
            template = self.template()
            if template is not None and styles is template.element:
                if template.default_paragraph is False:
                    template.default_paragraph = _default_paragraph(styles)
                default = template.default_paragraph
            else:
                default = _default_paragraph(styles)
            self._default_paragraph = (styles, default)
        return None if style.element is self._default_paragraph[1] else style.style_id

    def _copy_from_bundle(self, name: str) -> CT_Style:
        source = _bundled_index().find(name)
        if source is None:  # pragma: no cover - the bundled template has every style the renderer names
            raise PolicyBuilderError(
                f"templates/reference.docx has no '{name}' style; run scripts/make_reference_docx.py"
            )
        target_styles = self.document.styles.element
        element = copy.deepcopy(source)
        based = element.find(qn("w:basedOn"))
        if based is not None:
            base_name = _style_name(_style_by_id(_bundled_reference().styles.element, based.get(qn("w:val"))))
            based.set(qn("w:val"), self(base_name).style_id if base_name else "Normal")
        for tag in ("w:link", "w:next"):
            extra = element.find(qn(tag))
            if extra is not None:
                element.remove(extra)
        if element.get(qn("w:default")):
            del element.attrib[qn("w:default")]
        run_properties = element.find(qn("w:rPr"))
        if run_properties is not None:
            # Keep bold or italic, but take the font, size and colour from the employer's own styles.
            for tag in ("w:rFonts", "w:color", "w:sz", "w:szCs", "w:lang"):
                found = run_properties.find(qn(tag))
                if found is not None:
                    run_properties.remove(found)
        num_id = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
        bundled_list = num_id.get(qn("w:val"), "") if num_id is not None else ""
        if num_id is not None and bundled_list.isdigit():
            num_id.set(qn("w:val"), str(self._copy_numbering(int(bundled_list))))
        style_id = element.get(qn("w:styleId")) or name.replace(" ", "")
        while _style_by_id(target_styles, style_id) is not None:
            style_id += "1"
        element.set(qn("w:styleId"), style_id)
        target_styles.append(element)
        return element

    def _copy_numbering(self, num_id: int) -> int:
        """Copy a list definition from the bundled template; the new numId."""
        source = _bundled_reference().part.numbering_part.element
        num = source.num_having_numId(num_id)
        abstract_id = num.abstractNumId.val
        abstract = next(
            a for a in source.findall(qn("w:abstractNum")) if a.get(qn("w:abstractNumId")) == str(abstract_id)
        )
        target = numbering(self.document)
        # An employer's definition whose id is not a number cannot clash with the new one's.
        ids = [int(v) for a in target.findall(qn("w:abstractNum")) if (v := a.get(qn("w:abstractNumId"), "")).isdigit()]
        new_id = max(ids, default=-1) + 1
        new_abstract = copy.deepcopy(abstract)
        new_abstract.set(qn("w:abstractNumId"), str(new_id))
        first_num = target.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(new_abstract)  # all abstractNum elements come before the num elements
        else:
            target.append(new_abstract)
        return int(target.add_num(new_id).numId)


def _default_paragraph(styles: etree._Element) -> etree._Element | None:
    """python-docx's rule: the last style of type paragraph (the type when none is given) marked default."""
    default = None
    for element in styles.findall(qn("w:style")):
        if (element.get(qn("w:type")) or "paragraph") == "paragraph" and element.get(qn("w:default")) in _ON:
            default = element
    return default


def _style_name(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    name = element.find(qn("w:name"))
    return name.get(qn("w:val")) if name is not None else None


class _StyleIndex:
    """The styles of a styles part by lower-case name, read in one pass, not one pass a name: the bundled
    template has hundreds of styles, and each document asks for a dozen. A name not in the index is looked
    for again in the part itself (a style added since, such as a handout's card style). Names are matched
    ignoring case ('heading 1' is 'Heading 1' in Word's UI); the first style of a name wins."""

    def __init__(self, styles: etree._Element) -> None:
        self.styles = styles
        self.by_name = self._read()

    def _read(self) -> dict[str, CT_Style]:
        by_name: dict[str, CT_Style] = {}
        for element in self.styles.findall(qn("w:style")):
            if isinstance(element, CT_Style):
                by_name.setdefault((_style_name(element) or "").lower(), element)
        return by_name

    def find(self, name: str) -> CT_Style | None:
        element = self.by_name.get(name.lower())
        if element is not None and element.getparent() is self.styles:
            return element
        self.by_name = self._read()  # changed since it was read (a style added or removed)
        return self.by_name.get(name.lower())


@cache
def _bundled_index() -> _StyleIndex:
    return _StyleIndex(_bundled_reference().styles.element)


def _style_by_id(styles: etree._Element, style_id: str | None) -> etree._Element | None:
    for element in styles.findall(qn("w:style")):
        if element.get(qn("w:styleId")) == style_id:
            return element
    return None

"""Join parts written as separate tagged PDFs into one tagged PDF.

Each part of the briefing (front matter, each section, the sources) is laid out and written
by WeasyPrint on its own (parts.py), so a part that did not change is not written again.
What WeasyPrint would have made once for the whole document is made here over the joined
pages, the way WeasyPrint makes it:

- one structure tree: the first part's `/Document` element takes the top-level elements of
  every part, and the parent tree (page `StructParents`, annotation `StructParent`) is
  numbered on, part after part;
- one name tree of destinations: a part is written with every anchor of the document that
  it links to (parts.py gives the missing ones a stand-in), and only the anchors a part
  really holds are kept here, first occurrence winning as in WeasyPrint's resolve_links;
- one outline, built with WeasyPrint's own make_page_bookmark_tree over all pages;
- the catalog (language, metadata, output intent, attachments, viewer preferences) and the
  document information of the first part, which is written with them.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from types import SimpleNamespace

# A bookmark as WeasyPrint's Page.bookmarks holds it: level, label, (x, y) in CSS px, state.
Bookmark = tuple[int, str, tuple[float, float], str]


@dataclass(frozen=True)
class WrittenPart:
    """One part as WeasyPrint wrote it, with what joining needs to know of its pages."""

    pdf: bytes
    anchors: tuple[str, ...]  # the anchors laid out in this part, in page order
    bookmarks: tuple[tuple[Bookmark, ...], ...]  # per page
    heights: tuple[float, ...]  # per page, CSS px (bookmark points are turned into PDF points)
    fonts: tuple[tuple[str, str], ...] = ()  # (PDF font name, sha256 of the face's file) embedded

    @property
    def page_count(self) -> int:
        return len(self.heights)


class SubsetStore:
    """Where font subsets made by earlier joins are kept (parts.py keeps them on disk)."""

    def get(self, key: str) -> bytes | None:
        return None

    def put(self, key: str, data: bytes) -> None:
        pass


def join(
    parts: list[WrittenPart], font_files: dict[str, bytes] | None = None, subsets: SubsetStore | None = None
) -> bytes:
    """One PDF of every part's pages, in order, with one structure tree, names and outline.

    `font_files` (PDF font name -> the face's file) lets the parts share one subset per face;
    `subsets` keeps those subsets for the next join.
    """
    import pikepdf

    if len(parts) == 1:
        return parts[0].pdf  # WeasyPrint's own file: nothing to join
    base = pikepdf.open(io.BytesIO(parts[0].pdf))
    root = base.Root
    tree = root.get("/StructTreeRoot")
    document_element = tree.K[0] if tree is not None else None
    numbers = tree.ParentTree.Nums if tree is not None else None
    next_key = _next_key(numbers) if numbers is not None else 0

    destinations: dict[str, object] = {}
    _collect_destinations(base, parts[0].anchors, destinations)
    for part in parts[1:]:
        # One part open at a time: what is copied from it keeps only its bytes alive (qpdf
        # copies stream data when the joined file is written), not its parsed objects.
        source = pikepdf.open(io.BytesIO(part.pdf))
        source_tree = source.Root.get("/StructTreeRoot")
        if source_tree is not None:
            kids = source_tree.K[0].K
            # Detach the top-level elements from the part's own root, so that copying them
            # does not copy the part's tree root and parent tree along.
            for kid in kids:
                del kid["/P"]
        offset = len(base.pages)
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not carried: they are, below.
            warnings.simplefilter("ignore")
            base.pages.extend(source.pages)
        if source_tree is None or tree is None:
            _collect_destinations(source, part.anchors, destinations)
            continue
        for kid in kids:
            kid = base.copy_foreign(kid)
            kid.P = document_element
            document_element.K.append(kid)
        shift = next_key
        source_numbers = source_tree.ParentTree.Nums
        for index in range(0, len(source_numbers), 2):
            numbers.append(int(source_numbers[index]) + shift)
            numbers.append(_copy(base, source_numbers[index + 1]))
        next_key = _next_key(numbers)
        for page in base.pages[offset:]:
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + shift
            for annotation in page.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + shift
        _collect_destinations(base, part.anchors, destinations, source=source)
    if tree is not None:
        tree.ParentTreeNextKey = next_key
    _write_destinations(base, destinations)
    _write_outline(base, parts)
    if len(parts) > 1:
        _unify_fonts(base, font_files or {}, subsets or SubsetStore())
    out = io.BytesIO()
    # The file identifier comes from the content: the same parts give the same bytes.
    base.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _copy(base, value):
    """A value of another PDF copied into `base` (an array held in place copied item by item)."""
    import pikepdf

    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([_copy(base, item) for item in value])
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return base.copy_foreign(value)
    return value


def _next_key(numbers) -> int:
    return max((int(numbers[i]) for i in range(0, len(numbers), 2)), default=-1) + 1


def _collect_destinations(base, anchors, found: dict, source=None) -> None:
    """Take the part's destinations for the anchors it really holds (not its stand-ins)."""
    import pikepdf

    names = (source or base).Root.get("/Names")
    tree = names.get("/Dests") if names is not None else None
    if tree is None:
        return
    held = set(anchors)
    entries = pikepdf.NameTree(tree)
    for name in entries.keys():
        if name in held and name not in found:
            value = entries[name]
            found[name] = _copy(base, value) if source is not None else value


def _write_destinations(base, found: dict) -> None:
    import pikepdf

    names = base.Root.get("/Names")
    if names is None:
        if not found:
            return
        base.Root.Names = pikepdf.Dictionary()
        names = base.Root.Names
    array = pikepdf.Array()
    for name in sorted(found):
        array.append(pikepdf.String(name))
        array.append(found[name])
    names.Dests = base.make_indirect(pikepdf.Dictionary(Names=array))
    # A link to an anchor no part holds goes nowhere, as WeasyPrint drops it.
    for page in base.pages:
        for annotation in page.get("/Annots", []):
            dest = annotation.get("/Dest")
            if isinstance(dest, pikepdf.String) and str(dest) not in found:
                del annotation["/Dest"]


def _write_outline(base, parts: list[WrittenPart]) -> None:
    """The outline of all pages, built as WeasyPrint's Document.make_bookmark_tree builds it."""
    import pikepdf
    from weasyprint.anchors import make_page_bookmark_tree
    from weasyprint.matrix import Matrix

    scale = 0.75  # PDF points per CSS pixel
    tree: list = []
    skipped: list = []
    last_by_depth = [tree]
    previous = 0
    number = 0
    for part in parts:
        for bookmarks, height in zip(part.bookmarks, part.heights, strict=True):
            page = SimpleNamespace(bookmarks=bookmarks)
            matrix = Matrix(a=scale, d=-scale, f=height * scale)
            previous = make_page_bookmark_tree(page, skipped, last_by_depth, previous, number, matrix)
            number += 1
    if "/Outlines" in base.Root:
        del base.Root["/Outlines"]
    if not tree:
        return
    pages = base.pages

    def add(bookmarks, parent):
        count = len(bookmarks)
        made = []
        for title, (page, x, y), children, state in bookmarks:
            item = base.make_indirect(
                pikepdf.Dictionary(
                    Title=pikepdf.String(title),
                    Dest=pikepdf.Array([pages[page].obj, pikepdf.Name.XYZ, x, y, 0]),
                    Parent=parent,
                )
            )
            kids, kids_count = add(children, item)
            item.Count = -kids_count if state == "closed" else kids_count
            if state != "closed":
                count += kids_count
            if made:
                item.Prev = made[-1]
                made[-1].Next = item
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            made.append(item)
        return made, count

    outlines = base.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    made, count = add(tree, outlines)
    outlines.First, outlines.Last, outlines.Count = made[0], made[-1], count
    base.Root.Outlines = outlines


# ---------------------------------------------------------------- one font file per face

_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")
_DROPPED_TABLES = ["BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG "]
_SUBSETS: dict[str, bytes] = {}
_SUBSET_FORMAT = "2-"  # changed with the subsetting options (hbsubset.py, _fonttools_subset)


def _unify_fonts(base, sources: dict[str, bytes], subsets: SubsetStore) -> None:
    """Each part embeds its own subset of a face; the joined file embeds one.

    Fonts are grouped by their PDF name (WeasyPrint derives it from the face's description,
    so the same face has the same name in every part). For a face whose original file is in
    `sources` (name -> bytes), the first part's font dictionary takes the union of the
    parts' widths and Unicode maps (the first mapping of a glyph wins, as it does in one
    WeasyPrint document), a subset of the original holding every glyph any part uses (glyph
    ids kept, as WeasyPrint keeps them), and stands for the face on every page.
    """
    import pikepdf

    groups: dict[str, list] = {}
    resources = []
    seen_resources: set = set()
    for page in base.pages:
        fonts = page.get("/Resources", {}).get("/Font")
        if fonts is None or fonts.objgen in seen_resources:
            continue
        seen_resources.add(fonts.objgen)
        resources.append(fonts)
        for font in fonts.values():
            group = groups.setdefault(str(font.get("/BaseFont", "")), [])
            if all(font.objgen != other.objgen for other in group):
                group.append(font)
    for name, fonts in groups.items():
        source = sources.get(name)
        # A part whose text has a character no face has embeds the face with its own CMap:
        # that one stays as it is, the others still share one subset.
        fonts = [font for font in fonts if _unifiable(font)]
        if source is None or len(fonts) < 2:
            continue
        canonical = fonts[0]
        descendant = canonical.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        file_key = "/FontFile2" if "/FontFile2" in descriptor else "/FontFile3"
        to_unicode: dict[int, bytes] = {}
        widths: dict[int, object] = {}
        for font in fonts:
            for glyph, text in _BFCHAR.findall(font.ToUnicode.read_bytes()):
                to_unicode.setdefault(int(glyph, 16), text)
            for glyph, width in _widths(font.DescendantFonts[0].get("/W", [])):
                widths.setdefault(glyph, width)
        glyphs = tuple(sorted(set(to_unicode) | set(widths)))
        subset = _subset(source, glyphs, subsets)
        if subset is None:
            continue
        extra = {"/Length1": len(subset)} if file_key == "/FontFile2" else {"/Subtype": pikepdf.Name.OpenType}
        stream = base.make_stream(b"")
        stream.write(zlib.compress(subset), filter=pikepdf.Name.FlateDecode)
        for key, value in extra.items():
            stream[key] = value
        descriptor[file_key] = stream
        if widths:
            box = list(descriptor.FontBBox)
            box[2] = max(float(w) for w in widths.values())
            descriptor.FontBBox = pikepdf.Array(box)
        descendant.W = _width_array(widths)
        canonical.ToUnicode = base.make_stream(_cmap(to_unicode))
        others = {font.objgen for font in fonts[1:]}
        for fonts_dictionary in resources:
            for key, font in list(fonts_dictionary.items()):
                if font.objgen in others:
                    fonts_dictionary[key] = canonical


def _unifiable(font) -> bool:
    """A CID font with the identity encoding (a face with missing glyphs has its own CMap)."""
    descendants = font.get("/DescendantFonts")
    return (
        str(font.get("/Subtype")) == "/Type0"
        and str(font.get("/Encoding")) == "/Identity-H"
        and descendants is not None
        and "/ToUnicode" in font
        and "/CIDSet" not in descendants[0].FontDescriptor
    )


def _widths(array):
    """(glyph, width) pairs of a CID font's /W array: `start [w1 w2 ...]` runs."""
    items = list(array)
    for index in range(0, len(items) - 1, 2):
        start, run = int(items[index]), items[index + 1]
        for offset, width in enumerate(run):
            yield start + offset, width


def _width_array(widths: dict[int, object]):
    import pikepdf

    array = pikepdf.Array()
    run = None
    for glyph in sorted(widths):
        if glyph - 1 not in widths or run is None:
            run = pikepdf.Array()
            array.append(glyph)
            array.append(run)
        run.append(widths[glyph])
    return array


def _cmap(to_unicode: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap, as WeasyPrint writes them."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(b"<%04x> <%s>" % (glyph, text) for glyph, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _subset(source: bytes, glyphs: tuple[int, ...], store: SubsetStore) -> bytes | None:
    """The original face cut down to `glyphs`, ids kept (as WeasyPrint's subsetting keeps them)."""
    from fontTools.ttLib import TTFont, TTLibError

    from . import hbsubset

    digest = hashlib.sha256(source + b"\0" + ",".join(map(str, glyphs)).encode())
    key = ("hb" if hbsubset.available() else "ft") + _SUBSET_FORMAT + digest.hexdigest()
    if key in _SUBSETS:
        return _SUBSETS[key]
    kept = store.get(key)
    if kept is not None:
        _SUBSETS[key] = kept
        return kept
    try:
        if "fvar" in TTFont(io.BytesIO(source), lazy=True):
            return None  # a variable face is made static per part by WeasyPrint: left as it is
    except (TTLibError, AssertionError, KeyError, ValueError, struct.error):
        return None
    made = hbsubset.subset(source, glyphs, _DROPPED_TABLES) if hbsubset.available() else None
    if made is None:
        made = _fonttools_subset(source, glyphs)
    if made is None:
        return None
    if len(_SUBSETS) > 64:
        _SUBSETS.clear()
    _SUBSETS[key] = made
    store.put(key, made)
    return made


def _fonttools_subset(source: bytes, glyphs: tuple[int, ...]) -> bytes | None:
    """What _subset does where HarfBuzz's subsetting library is missing (a tenth as fast)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        notdef_outline=True,
        name_IDs=["*"],
        name_languages=["*"],
        layout_features=["*"],
        hinting=False,
    )
    options.drop_tables += _DROPPED_TABLES
    try:
        # The face's own timestamp kept: the same parts give the same bytes.
        font = TTFont(io.BytesIO(source), recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=list(glyphs))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    except (TTLibError, AssertionError, KeyError, ValueError, struct.error):
        return None
    return out.getvalue()

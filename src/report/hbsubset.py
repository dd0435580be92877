"""Font subsetting with HarfBuzz's hb-subset, as WeasyPrint subsets each part's faces.

Joining (joining.py) cuts each face down once for the whole document. fontTools did it in
about 0.2 s a face, most of it reading layout tables that are dropped anyway; hb-subset
takes a few milliseconds. WeasyPrint's own bindings declare too little of the library to
subset a face from its file's bytes, so this module declares what it needs.
"""

from __future__ import annotations

import functools

_DECLARATIONS = """
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    typedef uint32_t hb_tag_t;
    typedef enum { HB_MEMORY_MODE_DUPLICATE, HB_MEMORY_MODE_READONLY } hb_memory_mode_t;
    typedef void (*hb_destroy_func_t) (void *user_data);

    hb_blob_t * hb_blob_create (const char *data, unsigned int length, hb_memory_mode_t mode,
                                void *user_data, hb_destroy_func_t destroy);
    void hb_blob_destroy (hb_blob_t *blob);
    const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
    void hb_face_destroy (hb_face_t *face);
    hb_blob_t * hb_face_reference_blob (hb_face_t *face);
    unsigned int hb_face_get_glyph_count (const hb_face_t *face);
    void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
    void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
    hb_tag_t hb_tag_from_string (const char *str, int len);

    hb_subset_input_t * hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned int value);
    hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""

# hb_subset_sets_t and hb_subset_flags_t (hb-subset.h)
_GLYPH_INDEX, _DROP_TABLE_TAG, _NAME_ID, _NAME_LANG_ID = 0, 3, 4, 5
_NO_HINTING, _RETAIN_GIDS, _PASSTHROUGH_UNRECOGNIZED, _NOTDEF_OUTLINE = 0x1, 0x2, 0x20, 0x40

_NAMES = {
    "harfbuzz": ("libharfbuzz.so.0", "libharfbuzz-0", "harfbuzz", "libharfbuzz.0.dylib"),
    "subset": (
        "libharfbuzz-subset.so.0",
        "libharfbuzz-subset-0",
        "harfbuzz-subset",
        "libharfbuzz-subset.0.dylib",
    ),
}


@functools.cache
def _libraries():
    """(ffi, harfbuzz, hb-subset), or None where the subsetting library is not installed."""
    try:
        import cffi
    except ImportError:
        return None
    ffi = cffi.FFI()
    ffi.cdef(_DECLARATIONS)
    opened = []
    for names in _NAMES.values():
        for name in names:
            try:
                opened.append(ffi.dlopen(name))
                break
            except OSError:
                continue
        else:
            return None
    harfbuzz, subset = opened
    try:
        subset.hb_subset_or_fail  # noqa: B018 - hb-subset 2.9 and later
    except AttributeError:
        return None
    return ffi, harfbuzz, subset


def available() -> bool:
    return _libraries() is not None


def subset(source: bytes, glyphs: tuple[int, ...], dropped: list[str]) -> bytes | None:
    """The face cut down to `glyphs` with their ids kept, every name record kept, no hinting,
    `dropped` tables left out; None when HarfBuzz cannot subset it."""
    libraries = _libraries()
    if libraries is None or not glyphs:
        return None
    ffi, harfbuzz, hb_subset = libraries
    data = ffi.from_buffer(source)
    blob = harfbuzz.hb_blob_create(data, len(source), harfbuzz.HB_MEMORY_MODE_READONLY, ffi.NULL, ffi.NULL)
    face = harfbuzz.hb_face_create(blob, 0)
    harfbuzz.hb_blob_destroy(blob)
    request = hb_subset.hb_subset_input_create_or_fail()
    if request == ffi.NULL:
        harfbuzz.hb_face_destroy(face)
        return None
    try:
        count = harfbuzz.hb_face_get_glyph_count(face)
        if not count:
            return None  # not a face HarfBuzz can read: it would make an empty font of it
        kept = hb_subset.hb_subset_input_set(request, _GLYPH_INDEX)
        for glyph in glyphs:
            if glyph < count:
                harfbuzz.hb_set_add(kept, glyph)
        # Every name record in every language, as the face's own (its licence among them).
        harfbuzz.hb_set_add_range(hb_subset.hb_subset_input_set(request, _NAME_ID), 0, 0xFFFF)
        harfbuzz.hb_set_add_range(hb_subset.hb_subset_input_set(request, _NAME_LANG_ID), 0, 0xFFFF)
        drop = hb_subset.hb_subset_input_set(request, _DROP_TABLE_TAG)
        for tag in dropped:
            harfbuzz.hb_set_add(drop, harfbuzz.hb_tag_from_string(tag.encode(), -1))
        flags = _NO_HINTING | _RETAIN_GIDS | _PASSTHROUGH_UNRECOGNIZED | _NOTDEF_OUTLINE
        hb_subset.hb_subset_input_set_flags(request, flags)
        made = hb_subset.hb_subset_or_fail(face, request)
        if made == ffi.NULL:
            return None
        try:
            out = harfbuzz.hb_face_reference_blob(made)
            length = ffi.new("unsigned int *")
            pointer = harfbuzz.hb_blob_get_data(out, length)
            result = None if pointer == ffi.NULL or not length[0] else ffi.unpack(pointer, length[0])
            harfbuzz.hb_blob_destroy(out)
            return result
        finally:
            harfbuzz.hb_face_destroy(made)
    finally:
        hb_subset.hb_subset_input_destroy(request)
        harfbuzz.hb_face_destroy(face)

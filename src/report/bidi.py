"""Keep every inserted value in its own bidi island, and keep bidi controls out of the data.

The bidi algorithm reorders a line as a whole: an unclosed right-to-left override in one
value would print the digits of the next figure backwards (2024 as 4202) while the text
layer still holds the true value. Two rules make that impossible:

- text from the project (data, sections) may not carry embedding, override or isolate
  controls (U+202A-U+202E, U+2066-U+2069); the marks LRM, RLM and ALM, which only set the
  direction of neutral characters next to them, are allowed;
- every value a template inserts is wrapped in an isolate ... POP DIRECTIONAL ISOLATE, so
  that it is laid out on its own and its neighbours cannot reorder it: a right-to-left
  isolate when the value holds any Arabic (or Hebrew) letter or Arabic-Indic digit, so that
  "DGSN المديرية" keeps its logical order in an Arabic line and "٤٧٫٣٪" reads in Arabic
  order; a left-to-right one for Western-digit numbers and Latin text, so that "42,6%",
  "-3" and "2020–2021" read as written (and are copied from the PDF as written).
  docs/project-format.md ("Signs and ranges") states the convention.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import Location, ReportError

LRI = "\u2066"
RLI = "\u2067"
PDI = "\u2069"
CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_NAMES = {
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}


def control_problem(text: str) -> tuple[int, str] | None:
    """The offset of the first bidi control in `text` and a message, or None when it has none."""
    found = CONTROLS.search(text)
    if found is None:
        return None
    char = found.group()
    message = (
        f"bidi control character U+{ord(char):04X} ({_NAMES[char]}) in the text: remove it "
        "(report isolates every value itself; an unclosed control would reorder the text around it)"
    )
    return found.start(), message


def refuse_controls(text: str, path: Path) -> None:
    """Raise a located error when a project file's text holds a bidi control."""
    problem = control_problem(text)
    if problem is not None:
        offset, message = problem
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise ReportError(message, Location(path, line, column))


def strip_controls(text: str) -> str:
    """The text without embedding, override and isolate controls."""
    return CONTROLS.sub("", text)


def isolate(text: str) -> str:
    """Wrap text so that it is laid out on its own; empty text stays empty.

    Isolates already inside (a number in a phrase, set by the formatter) are kept when they
    pair up; anything else that could reorder the text is removed. Arabic prose (letters at
    both ends, no digits or Latin) stays bare, so that it joins a letter typed before it.
    Arabic-Indic digits take a right-to-left island, so that "٤٧٫٣٪" and "-٥" read in
    Arabic order (sign after the digits, minus before them); Western digits a left-to-right
    one ("47,3%", "-5").
    """
    if not text:
        return text
    text = _EMBEDDINGS.sub("", text) if _balanced(text) else strip_controls(text)
    if _one_island(text) or _arabic_prose(text):
        return text
    kinds = {unicodedata.bidirectional(c) for c in _ISLANDS.sub("", text)}
    opening = RLI if kinds & {"R", "AL", "AN"} else LRI
    return f"{opening}{text}{PDI}"


_EMBEDDINGS = re.compile("[\u202a-\u202e]")
_ISLANDS = re.compile("[\u2066-\u2068][^\u2066-\u2069]*\u2069")


# Arabic letters, marks, spaces and punctuation, and nothing whose direction is weak.
_PROSE = {"R", "AL", "NSM", "WS", "ON", "CS"}


def _arabic_prose(text: str) -> bool:
    """Arabic words with Arabic letters at both ends: nothing in it or beside it can move.

    Such a value is left bare so that it joins the letter typed before it: "ب{{ dgsn }}"
    must print "بالمديرية"; an isolate would cut the word in two ("ب المديرية").
    """
    strong = ("R", "AL")
    if unicodedata.bidirectional(text[0]) not in strong or unicodedata.bidirectional(text[-1]) not in strong:
        return False
    return all(unicodedata.bidirectional(c) in _PROSE for c in text)


def _one_island(text: str) -> bool:
    """Whether the text is already one isolate from its first character to its last."""
    if text[0] not in "\u2066\u2067\u2068" or text[-1] != PDI:
        return False
    depth = 0
    for position, char in enumerate(text):
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == PDI:
            depth -= 1
            if depth == 0:
                return position == len(text) - 1
    return False


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0

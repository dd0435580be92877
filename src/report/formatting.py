"""Write numbers and dates the way an Arabic reader expects, in one digit style everywhere.

The grammar of a number and its noun lives in `grammar`; this module adds the locale (its
separators and month names), the digit style, the source's qualifier and the sign
convention: every number inside a phrase is its own bidi island, so that "حوالي 47,3%"
keeps its sign where "47,3%" has it.
"""

from __future__ import annotations

import decimal
import re
from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from . import grammar
from .bidi import isolate
from .qualifiers import qualifier_of

# A hyphen between two numbers is a range ("2020-2021", "17-21"): an en dash in print.
# Exactly two numbers: "1-2-3" is a code, not a range.
_RANGE = re.compile(r"(?<![\d\-\u2010-\u2013.,])(\d+)[-\u2010-\u2013](\d+)(?![\d\-\u2010-\u2013]|[.,]\d)")
PERCENT_UNITS = ("%", "٪", "في المائة")
_URL = re.compile(r"((?:https?://|www\.)\S+)")
# An address, or a word with Latin letters (and the digits and signs that belong to it).
_LATIN = re.compile(
    r"((?:https?://|www\.)\S+|(?=[0-9]*[A-Za-z])[0-9A-Za-z](?:[0-9A-Za-z+&'._\-/]*[0-9A-Za-z+])?)"
)
# A range, or a number with a sign or a percent: it stands on its own island.
_SIGNED = re.compile(
    r"[+\-\u2212]?[0-9٠-٩][0-9٠-٩.,٫٬]*(?:\u2013\u2060[0-9٠-٩][0-9٠-٩.,٫٬]*)?[%٪]|"
    r"[+\-\u2212][0-9٠-٩][0-9٠-٩.,٫٬]*|[0-9٠-٩]+\u2013\u2060[0-9٠-٩]+"
)
_DIGIT_RUN = re.compile(r"[0-9٠-٩]+(?:[.,٫٬][0-9٠-٩]+)*")
_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


class Formatter:
    """Format numbers, percentages and dates for one locale and digit style."""

    def __init__(self, locale: str = "ar_MA", digits: str = "western") -> None:
        self.locale = locale
        self.digits = digits
        symbols = Locale.parse(locale).number_symbols
        latn, arab = symbols.get("latn", {}), symbols.get("arab", {})
        # Map the locale's Western separators onto its Arabic-Indic ones (1.127 -> ١٬١٢٧ in ar_MA).
        table = {ord(str(d)): "٠١٢٣٤٥٦٧٨٩"[d] for d in range(10)}
        for key, fallback in (("group", "٬"), ("decimal", "٫")):
            if latn.get(key):
                table[ord(latn[key][0])] = arab.get(key, fallback)
        self._to_arabic_indic = table

    def convert_digits(self, text: str) -> str:
        """Write the digits (and separators) of already formatted text in the chosen style."""
        if self.digits == "arabic-indic":
            return text.translate(self._to_arabic_indic)
        return text.translate(_WESTERN_DIGITS)

    def _digits_only(self, text: str) -> str:
        if self.digits == "arabic-indic":
            return text.translate(_ARABIC_INDIC_DIGITS)
        return text

    def number(self, value: float, decimals: int = 1) -> str:
        """Group the way the locale does: 1.127.944 in ar_MA."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        # Half up, as an editor rounds: 79,25 -> 79,3 (Babel's default, half even, gives 79,2).
        with decimal.localcontext() as context:
            context.rounding = decimal.ROUND_HALF_UP
            exact = decimal.Decimal(float.__repr__(value)) if isinstance(value, float) else value
            text = format_decimal(exact, format=pattern, locale=self.locale)
        return self.convert_digits(text)

    def plain(self, value: float | str) -> str:
        """Digits only, no grouping: for years and codes."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self._digits_only(str(value))

    def press(self, value: float, noun: grammar.Noun | None = None, case: str = "nom") -> str:
        """The press style, grammatical: '141 ألفا و241', 'مليون و127 ألفا و944', '207 آلاف'."""
        if value != int(value) or abs(value) < 1000:
            return self.count(value, noun, "digits", case) if noun else self.number(value)
        sign = "-" if value < 0 else ""
        # A line may break before "و", between the parts, never inside one ("127 ألفا").
        text = grammar.press(abs(int(value)), noun, case).replace(grammar.AND, " و")
        return sign + self._digits_only(text)

    def count(
        self, value: float, noun: grammar.Noun | str | None, style: str = "digits", case: str = "nom"
    ) -> str:
        """A number with its noun in the form the number calls for: '141.241 تلميذا', 'خمس ساعات'.

        A unit given as plain words (not a declared noun) follows the number unchanged.
        """
        if noun in PERCENT_UNITS:
            return self.island(self.percent(value))
        if not isinstance(noun, grammar.Noun):
            whole = value == int(value)
            if (
                noun
                and style != "digits"
                and whole
                and abs(value) >= 1000
                and abs(value) % 1000 not in (1, 2)
            ):
                # Words we cannot decline still follow a scale word in construct:
                # "150 ألف درهم", "مليون و150 ألف درهم", not "150 ألفا درهم".
                fixed = grammar.Noun(noun, noun, "m", accusative=noun, dual=noun)
                return self.press(value, fixed, case)
            text = self.number(value)
            return f"{self.island(text)}\u00a0{noun}" if noun else self.island(text)
        whole = value == int(value)
        if style == "noun" and whole and int(value) == 1:
            # "ما بين ساعة وخمس ساعات": one as the noun alone, without "واحدة".
            return noun.acc() if case == "acc" else noun.singular
        if style in ("words", "noun") and whole:
            words = grammar.count_words(int(value), noun, case)
            if words is not None:
                return words
        if style in ("press", "words", "noun") and whole and abs(value) >= 1000:
            return self.press(value, noun, case)
        phrase = grammar.count_digits(value, "\ue002", noun, case)
        return phrase.replace("\ue002", self.island(self.number(value)))

    def noun_after(self, value: float, noun: grammar.Noun | str | None) -> str:
        """The noun alone, for a unit column or a card: the form the number beside it calls for."""
        if not isinstance(noun, grammar.Noun):
            return noun or ""
        form = grammar.form_after(abs(value)) if value == int(value) else "singular"
        if form == "dual":
            return noun.dual_form("nom")  # "2 | مستشفيان" in a unit column
        return noun.acc() if form == "accusative" else noun.plural if form == "plural" else noun.singular

    def qualified(self, text: str, qualifier: str | None) -> str:
        """The source's claim with the number: 'حوالي 21 بنية', '5 ملايين مشاهد على الأقل'."""
        claim = qualifier_of(qualifier)
        if claim is None:
            return text
        return f"{text} {claim.word}" if claim.after else f"{claim.word} {text}"

    def island(self, number_text: str) -> str:
        """A formatted number on its own bidi island (see the module docstring)."""
        return isolate(number_text)

    def ordinal(self, value: int, gender: str = "m", case: str = "gen", definite: bool = True) -> str:
        """An ordinal in words: 'الأول', 'الثالثة والتسعين'."""
        return grammar.ordinal(value, gender, case, definite)

    def text(self, value: str) -> str:
        """Text from data in the digit style: '2020-2021' prints '2020–2021' (or '٢٠٢٠–٢٠٢١').

        Addresses and Latin words keep their own characters ("https://x.org/2023", "4DX",
        "C001", "Canal+") and stand on left-to-right islands; a range of numbers and a number
        with a sign stand on islands of the digit style, so that an Arabic word before them
        cannot turn "2020–2023" into "2023–2020" or move a "%".
        """
        if not value:
            return value
        return "".join(
            segment if island else self._text_outside_islands(segment) for island, segment in _islands(value)
        )

    def _text_outside_islands(self, value: str) -> str:
        parts = _LATIN.split(value)
        for index, part in enumerate(parts):
            if index % 2:
                parts[index] = isolate(part)  # an address or a Latin word, as written
                continue
            # The word joiner keeps "2020–2021" on one line (a line may break after an en dash).
            part = _RANGE.sub("\\1\u2013\u2060\\2", part)
            # Separators only between digits: a comma in the prose stays a comma.
            part = _DIGIT_RUN.sub(lambda m: self.convert_digits(m.group()), part)
            if self.digits == "arabic-indic":
                part = part.replace("%", "٪")
            parts[index] = _SIGNED.sub(lambda m: self.island(m.group()), part)
        return "".join(parts)

    def date_range(self, start: date, end: date) -> str:
        """'17–21 ماي 2024', '28 ماي – 2 يونيو 2024', '30 دجنبر 2024 – 3 يناير 2025'."""
        if start > end:
            from .errors import ReportError

            raise ReportError(f"a date range ends before it starts ({start} to {end})")
        if (start.year, start.month) == (end.year, end.month):
            # The days on one island: "17–21" reads as written beside the month's name.
            days = self.island(f"{self.plain(start.day)}\u2013\u2060{self.plain(end.day)}")
            return f"{days} {self.date(end, 'MMMM y')}"
        if start.year == end.year:
            return f"{self.date(start, 'd MMMM')} \u2013 {self.date(end)}"
        return f"{self.date(start)} \u2013 {self.date(end)}"

    def percent(self, value: float, decimals: int = 1, words: bool = False) -> str:
        """A value in percent units: '47,3%' or '47,3 في المائة'."""
        number = self.number(value, decimals)  # rounded half up there, like every number
        if words:
            return f"{number}\u00a0في\u00a0المائة"
        return number + ("٪" if self.digits == "arabic-indic" else "%")

    def date(self, value: date, pattern: str = "d MMMM y") -> str:
        """A date with the locale's month names: '17 ماي 2024' in ar_MA."""
        return self._digits_only(format_date(value, pattern, locale=self.locale))

    def hijri(self, value: date) -> str:
        """The Umm al-Qura Hijri date: '9 ذو القعدة 1445 هـ'."""
        from hijridate import Gregorian

        try:
            day = Gregorian(value.year, value.month, value.day).to_hijri()
        except (OverflowError, ValueError):
            from .errors import ReportError

            raise ReportError(
                f"no Hijri date for {value.isoformat()}: the Umm al-Qura calendar covers 1924-2077"
            ) from None
        # After the day the month is in the genitive: "9 ذي القعدة".
        month = grammar.genitive_month(day.month_name("ar"))
        return self._digits_only(f"{day.day} {month} {day.year} هـ")


def _islands(text: str) -> list[tuple[bool, str]]:
    """The text cut into (already an island?, segment): a number the formatter isolated is
    printed as it is, not converted or isolated again."""
    segments: list[tuple[bool, str]] = []
    depth, start = 0, 0
    for position, char in enumerate(text):
        if char in "\u2066\u2067\u2068":
            if depth == 0 and position > start:
                segments.append((False, text[start:position]))
                start = position
            depth += 1
        elif char == "\u2069" and depth:
            depth -= 1
            if depth == 0:
                segments.append((True, text[start : position + 1]))
                start = position + 1
    if start < len(text):
        segments.append((depth > 0, text[start:]))
    return segments


def noun_of(unit) -> grammar.Noun:
    """The grammar's noun for a unit declared under `units:` (schema.Unit)."""
    return grammar.Noun(unit.singular, unit.plural, unit.gender, unit.accusative or "", unit.dual or "")


def figure_nouns(data) -> dict[str, grammar.Noun | str | None]:
    """Each figure's unit: a declared noun, or the plain words written in `unit:`."""
    nouns = {name: noun_of(unit) for name, unit in data.units.items()}
    return {name: nouns.get(figure.unit or "", figure.unit) for name, figure in data.figures.items()}

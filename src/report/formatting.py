"""Write numbers and dates the way an Arabic reader expects, in one digit style everywhere."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

_ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _thousands_word(count: int, one: str, two: str, few: str, many: str) -> str:
    """Name `count` thousands or millions the way the Moroccan press does."""
    if count == 1:
        return one
    if count == 2:
        return two
    if 3 <= count <= 10:
        return f"{count} {few}"
    return f"{count} {many}"


_SCALES = (
    (1_000_000_000, ("مليار", "ملياران", "ملايير", "مليار")),
    (1_000_000, ("مليون", "مليونان", "ملايين", "مليون")),
    (1_000, ("ألف", "ألفان", "آلاف", "ألف")),
)


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
        """Write the Western digits (and separators) of already formatted text in the chosen style."""
        if self.digits == "arabic-indic":
            return text.translate(self._to_arabic_indic)
        return text

    def _digits_only(self, text: str) -> str:
        if self.digits == "arabic-indic":
            return text.translate(_ARABIC_INDIC_DIGITS)
        return text

    def number(self, value: float, decimals: int = 1) -> str:
        """Group the way the locale does: 1.127.944 in ar_MA."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        text = format_decimal(value, format=pattern, locale=self.locale)
        return self.convert_digits(text)

    def plain(self, value: float | str) -> str:
        """Digits only, no grouping: for years and codes."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self._digits_only(str(value))

    def press(self, value: float) -> str:
        """The press style: 'مليون و127 ألف و944', '141 ألف و241'."""
        if value != int(value) or value < 1000:
            return self.number(value)
        remaining = int(value)
        words: list[str] = []
        for scale, names in _SCALES:
            count, remaining = divmod(remaining, scale)
            if count:
                words.append(_thousands_word(count, *names))
        if remaining:
            words.append(str(remaining))
        # No-break spaces: "480 ألف و944" must not be split across two lines.
        return self._digits_only("\u00a0و".join(words)).replace(" ", "\u00a0")

    def percent(self, value: float, decimals: int = 1, words: bool = False) -> str:
        """A value in percent units: '47,3%' or '47,3 في المائة'."""
        number = self.number(round(value, decimals), decimals)
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
        return self._digits_only(f"{day.day} {day.month_name('ar')} {day.year} هـ")

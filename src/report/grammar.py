"""Arabic number grammar (العدد والمعدود): which form a noun takes after a number.

A briefing prints counts in digits ("141 ألفا و241 تلميذا"), so the number itself is never
spelled out except for 1 and 2 (which follow the noun) and for small counts in words. What
must still be right is the NOUN after the number, and the scale words (ألف, مليون, مليار),
which are nouns counted like any other. The rules (Ryding, *A Reference Grammar of Modern
Standard Arabic*, 2005, ch. 15; Abu-Chacra, *Arabic: An Essential Grammar*, 2007, §§34-35):

* 1 and 2: the noun alone (singular, dual), 1 may add واحد/واحدة after it;
* 3-10: genitive plural; the number takes the gender opposite to the singular's;
* 11-99: accusative singular (تمييز منصوب);
* 100, 1000, a million...: genitive singular (the number is in construct with the noun);
* compound numbers are governed by their LAST part: 141 behaves as 41, 2003 as 3.

This module is pure: no I/O, no locale data, no import from the rest of `report`. Every
phrase uses Western digits without grouping; the caller converts digits afterwards. A
number and its noun or scale word are joined by a no-break space (U+00A0), and the "و"
that joins two parts is glued to the next part, so that a phrase never breaks across lines
between "480 ألفا" and "و944".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Case = Literal["nom", "acc", "gen"]
Form = Literal["singular", "dual", "plural", "accusative"]

NBSP = "\u00a0"
# How the parts of a press number are joined: "مليون" + AND + "127 ألفا".
AND = NBSP + "و"

_CASES = ("nom", "acc", "gen")
_GENDERS = ("m", "f")


def _check_case(case: str) -> None:
    """Refuse a misspelt case at once: a wrong case would silently give a wrong ending."""
    if case not in _CASES:
        raise ValueError(f"case must be one of {_CASES}, not {case!r}")


def _check_gender(gender: str) -> None:
    """Refuse a gender other than "m"/"f": polarity would otherwise pick a form at random."""
    if gender not in _GENDERS:
        raise ValueError(f"gender must be 'm' or 'f', not {gender!r}")


# -- the noun's own forms -----------------------------------------------------------------


def accusative_of(word: str) -> str:
    """The indefinite accusative singular as written, i.e. with the tanwin alif where due.

    Words in ة, ى, ا or اء take no alif (مؤسسة, مستشفى, إجراء); others add it (تلميذا,
    نشاطا). A phrase of several words is left unchanged: most units are constructs
    (إضافة: "56 بيان حقيقة"), whose head takes no tanwin. A masculine noun followed by an
    adjective ("نشاط تواصلي") needs the unit's `accusative` override ("نشاطا تواصليا").
    """
    if len(word.split()) != 1:
        return word
    if word.endswith(("ة", "ى", "ا", "اء")):
        return word
    return word + "ا"


def _dual_word(word: str) -> str:
    """The nominative dual of one word: ة -> تان, ى -> يان, else + ان."""
    if word.endswith("ة"):
        return word[:-1] + "تان"
    if word.endswith("ى"):
        return word[:-1] + "يان"
    return word + "ان"


def dual_of(word: str) -> str:
    """The nominative dual. Of a multi-word phrase, the CONSTRUCT dual: the head loses its ن.

    A phrase is taken as a construct, as for the accusative: the dual of "بيان حقيقة" is
    "بيانا حقيقة" (المثنى المضاف تحذف نونه), not "بيانان حقيقة". A noun with an adjective
    needs the `dual` override, both words in the dual: "مؤسستان تعليميتان".
    """
    words = word.split(" ")
    head = _dual_word(words[0])
    if len(words) == 1:
        return head
    return " ".join([head[:-1], *words[1:]])


def oblique_dual(nominative: str) -> str:
    """The accusative/genitive dual from the nominative: ان -> ين, construct head ا -> ي.

    In an adjective phrase ("مؤسستان تعليميتان") the adjectives are duals too and change
    with the head; in a construct ("بيانا حقيقة") only the head changes ("بياني حقيقة").
    """
    words = nominative.split(" ")
    head = words[0]
    if head.endswith("ان"):
        rest = [w[:-2] + "ين" if w.endswith("ان") else w for w in words[1:]]
        return " ".join([head[:-2] + "ين", *rest])
    if len(words) > 1 and head.endswith("ا"):
        return " ".join([head[:-1] + "ي", *words[1:]])
    return nominative


@dataclass(frozen=True)
class Noun:
    """A counted noun: the forms a number can ask of it, with overrides for irregular ones.

    `singular` is the indefinite singular (nominative and genitive are spelt alike),
    `plural` the plural as it stands after 3-10, `gender` that of the SINGULAR ("m"/"f"),
    which is what the polarity of 3-10 looks at (ثلاثة حمامات: حمام is masculine).
    """

    singular: str
    plural: str
    gender: str
    accusative: str = ""
    dual: str = ""

    def __post_init__(self) -> None:
        _check_gender(self.gender)

    def acc(self) -> str:
        """The accusative singular, the تمييز after 11-99: تلميذا, مؤسسة."""
        return self.accusative or accusative_of(self.singular)

    def dual_form(self, case: Case = "nom") -> str:
        """The dual in `case`: مؤسستان (nom), مؤسستين (acc, gen)."""
        _check_case(case)
        nominative = self.dual or dual_of(self.singular)
        return nominative if case == "nom" else oblique_dual(nominative)


def noun_forms(noun: Noun) -> set[str]:
    """Every form the noun can take after a number, so a checker can find it in typed text."""
    return {
        noun.singular,
        noun.plural,
        noun.acc(),
        noun.dual_form("nom"),
        noun.dual_form("acc"),
    }


# -- which form after a number ----------------------------------------------------------


def _is_integer(value: float) -> bool:
    """True for 3 and 3.0; False for 4.3, NaN and infinities (they count as fractions)."""
    return math.isfinite(value) and float(value).is_integer()


def form_after(n: float) -> Form:
    """The form of the noun after |n| written in digits.

    0 and 1: singular; 2: dual; 3-10: plural; 11-99: accusative singular. From 100 on, the
    last part n % 100 governs: 0 (100, 1000, a million) -> genitive singular; 1 and 2 ->
    singular, the press usage ("101 تلميذ", "102 تلميذ") for "مائة تلميذ وتلميذ"; 3-10 ->
    plural ("103 تلاميذ"); 11-99 -> accusative ("141 تلميذا"). A fraction -> singular
    ("4,3 مرة", "2,5 مليون").
    """
    if not _is_integer(n):
        return "singular"
    m = abs(int(n))
    if m < 100:
        if m <= 1:
            return "singular"
        if m == 2:
            return "dual"
        return "plural" if m <= 10 else "accusative"
    last = m % 100
    if last <= 2:
        return "singular"
    return "plural" if last <= 10 else "accusative"


def _form(noun: Noun, form: Form, case: Case) -> str:
    """The noun in the form `form_after` chose."""
    if form == "plural":
        return noun.plural
    if form == "accusative":
        return noun.acc()
    if form == "dual":
        return noun.dual_form(case)
    return noun.singular


def _one(noun: Noun, case: Case) -> str:
    """One as an adjective after the noun, in its case: "تلميذ واحد", "تلميذا واحدا", "مؤسسة واحدة"."""
    if noun.gender == "f":
        return f"{noun.singular}{NBSP}واحدة"
    if case == "acc":
        return f"{noun.acc()}{NBSP}واحدا"
    return f"{noun.singular}{NBSP}واحد"


def count_digits(value: float, number_text: str, noun: Noun, case: Case = "nom") -> str:
    """The phrase for a number already formatted as `number_text`, followed by its noun.

    1 and 2 are not written as digits ("تلميذ واحد", "تلميذان"): "1 تلميذ" is not Arabic.
    Everything else is `number_text` + no-break space + the form `form_after` asks for.
    """
    _check_case(case)
    if not _is_integer(value):
        return f"{number_text}{NBSP}{noun.singular}"
    n = int(value)
    if n == 1:
        return _one(noun, case)
    if n == 2:
        return noun.dual_form(case)
    return f"{number_text}{NBSP}{_form(noun, form_after(n), case)}"


# -- press style: digits and scale words ------------------------------------------------

_SCALES = (
    (10**9, Noun("مليار", "مليارات", "m")),
    (10**6, Noun("مليون", "ملايين", "m")),
    (10**3, Noun("ألف", "آلاف", "m")),
)


def _scale_part(count: int, scale: Noun, case: Case, construct: bool) -> str:
    """One scale element: "ألف", "ألفان", "3 آلاف", "141 ألفا", or its construct form.

    In construct with a following noun the tanwin goes: "ألفا" -> "ألف", and the dual
    loses its ن ("ألفا تلميذ", "ألفي تلميذ"); a plural or singular is unchanged.
    """
    if count == 1:
        return scale.acc() if case == "acc" and not construct else scale.singular
    if count == 2:
        dual = scale.dual_form(case)
        return dual[:-1] if construct else dual
    form = form_after(count)
    word = scale.singular if construct and form == "accusative" else _form(scale, form, case)
    return f"{count}{NBSP}{word}"


def _remainder(r: int, noun: Noun | None, case: Case) -> str:
    """The part below 1000: digits from 3 on, words for 1 and 2 ("وتلميذ واحد", "واثنان")."""
    if r == 1:
        return _one(noun, case) if noun is not None else ("واحدا" if case == "acc" else "واحد")
    if r == 2:
        if noun is not None:
            return noun.dual_form(case)
        return "اثنان" if case == "nom" else "اثنين"
    if noun is None:
        return str(r)
    return f"{r}{NBSP}{_form(noun, form_after(r), case)}"


def press(n: int, noun: Noun | None = None, case: Case = "nom") -> str:
    """The press style of a whole number: digits and scale words, grammatical.

    "مليون و127 ألفا و944 منخرطا", "141 ألفا و241 تلميذا", "150 ألف زائر", "5 ملايين مشاهد".
    Each scale is a counted noun: 1 -> the word alone, 2 -> its dual, otherwise digits and
    the form `form_after` asks for. If the last written part is a scale word, it is in
    construct with the noun, which is then genitive singular ("150 ألف زائر"). `case`
    shows where Arabic shows it: on a scale word counted 1 or 2 and on a remainder of 1 or
    2 ("مليونا و150 ألف زائر" in the accusative); a part after digits is governed by them.

    Below 1000 there is no scale word: press() then returns count_digits(n, str(n), ...)
    with a noun, or str(n) without one, so the caller need not special-case 999. A negative
    number raises ValueError: the caller writes the sign and passes abs(n).
    """
    _check_case(case)
    if n < 0:
        raise ValueError(f"press() takes a number >= 0, the caller handles the sign: {n}")
    if n < 1000:
        return count_digits(n, str(n), noun, case) if noun is not None else str(n)
    counts = [(n // size) % 1000 if size < 10**9 else n // size for size, _ in _SCALES]
    remainder = n % 1000
    last = max(i for i, c in enumerate(counts) if c)
    construct = noun is not None and remainder == 0
    parts = [
        _scale_part(c, scale, case, construct and i == last)
        for i, (c, (_, scale)) in enumerate(zip(counts, _SCALES, strict=True))
        if c
    ]
    if remainder:
        parts.append(_remainder(remainder, noun, case))
    text = AND.join(parts)
    if construct:
        text += NBSP + noun.singular
    return text


# -- numbers in words -------------------------------------------------------------------

_CARDINALS = {
    "m": ("واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة"),
    "f": ("واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر"),
}


def spell(n: int, gender: str, case: Case = "nom") -> str | None:
    """The cardinal 1-10 in words for a counted noun of `gender`, or None outside 1-10.

    1 and 2 agree with the noun and follow it, so they show the case: واحدا (acc),
    اثنين/اثنتين (acc, gen). 3-10 take the gender OPPOSITE to the noun's singular
    (ثلاثة أيام, ثلاث ساعات) and stand in construct before the plural, hence without a
    tanwin alif in any case (خمس ساعات, ثماني ساعات).
    """
    _check_case(case)
    _check_gender(gender)
    if not 1 <= n <= 10:
        return None
    word = _CARDINALS[gender][n - 1]
    if n == 1 and gender == "m" and case == "acc":
        return "واحدا"
    if n == 2 and case != "nom":
        return word[:-2] + "ين"
    return word


def count_words(n: int, noun: Noun, case: Case = "nom") -> str | None:
    """A count of 1-10 in words with its noun, or None (the caller then uses digits).

    "ساعة واحدة", "ساعتان", "خمس ساعات", "ثلاثة أيام", "ثماني ساعات", "عشرة أيام".
    """
    _check_case(case)
    if not 1 <= n <= 10:
        return None
    if n == 1:
        return _one(noun, case)
    if n == 2:
        return noun.dual_form(case)
    return f"{spell(n, noun.gender, case)}{NBSP}{noun.plural}"


# -- ordinals ---------------------------------------------------------------------------

# Indefinite stems 1-10; the definite form adds ال. 1 is أول/أولى, a diptote (no tanwin).
_ORDINAL_UNITS = {
    "m": ("أول", "ثاني", "ثالث", "رابع", "خامس", "سادس", "سابع", "ثامن", "تاسع", "عاشر"),
    "f": ("أولى", "ثانية", "ثالثة", "رابعة", "خامسة", "سادسة", "سابعة", "ثامنة", "تاسعة", "عاشرة"),
}
_DECADES = ("عشر", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع")


def _decade(tens: int, case: Case) -> str:
    """عشرون ... تسعون: a sound masculine plural, -ون in nom, -ين in acc/gen."""
    return _DECADES[tens - 2] + ("ون" if case == "nom" else "ين")


def _indefinite_unit(stem: str, case: Case) -> str:
    """An indefinite masculine ordinal 1-10 in `case`, with its tanwin as written.

    ثانٍ and حادٍ are manqus: "ثان" in nom/gen, "ثانيا" in acc. أول is a diptote (no alif).
    Others add the tanwin alif in the accusative: ثالثا.
    """
    if stem == "أول":
        return stem
    if stem.endswith("ي"):
        return stem + "ا" if case == "acc" else stem[:-1]
    return stem + "ا" if case == "acc" else stem


def _unit(n: int, gender: str, case: Case, definite: bool, compound: bool) -> str:
    """The unit part of an ordinal: alone (1-10) or before a decade (21-99).

    Before a decade 1 is حادي/حادية, not أول/أولى. Indefinite masculine units show their
    case (`_indefinite_unit`); feminine ones in ة look alike in every case.
    """
    if n == 1 and compound:
        stem = "حادية" if gender == "f" else "حادي"
    else:
        stem = _ORDINAL_UNITS[gender][n - 1]
    if definite:
        return "ال" + stem
    if gender == "f":
        return stem
    return _indefinite_unit(stem, case)


def ordinal(n: int, gender: str = "m", case: Case = "gen", definite: bool = True) -> str:
    """The ordinal 1-100 in words, agreeing in gender with its noun.

    الأول/الأولى ... العاشر/العاشرة; الحادي عشر/الحادية عشرة ... التاسع عشر/التاسعة عشرة
    (built on fatha, no case); العشرون/العشرين; الحادي والعشرون/الحادية والعشرين ...;
    المائة. Decades show the case (-ون nom, -ين acc/gen); the default case is the genitive
    because ordinals in a briefing mostly follow a preposition or a noun: "في دورتها الثالثة
    والتسعين". definite=False drops ال from every part (أول, ثالث عشر, حادٍ وعشرون).
    Raises ValueError outside 1-100.
    """
    _check_case(case)
    _check_gender(gender)
    if not 1 <= n <= 100:
        raise ValueError(f"ordinal() supports 1-100, not {n}")
    article = "ال" if definite else ""
    if n == 100:
        return article + "مائة"
    if n <= 10:
        return _unit(n, gender, case, definite, compound=False)
    tens, units = divmod(n, 10)
    if tens == 1:
        stem = ("حادي", "حادية")[gender == "f"] if units == 1 else _ORDINAL_UNITS[gender][units - 1]
        return f"{article}{stem} {'عشرة' if gender == 'f' else 'عشر'}"
    decade = article + _decade(tens, case)
    if units == 0:
        return decade
    return f"{_unit(units, gender, case, definite, compound=True)} و{decade}"


# -- months -----------------------------------------------------------------------------


def genitive_month(name: str) -> str:
    """A Hijri month as it stands after a day number (in the genitive): "ذو القعدة" -> "ذي القعدة".

    ذو is one of the five nouns (الأسماء الخمسة), declined by its long vowel: ذو (nom), ذا
    (acc), ذي (gen). "15 ذي الحجة" is "the 15th OF Dhu al-Hijja". Other months are unchanged.
    """
    for space in (" ", NBSP):
        if name.startswith("ذو" + space):
            return "ذي" + name[2:]
    return name

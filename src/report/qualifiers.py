"""How a source qualifies a figure: about, nearly, more than, at least, up to.

"حوالي 21", "ناهز مليونا", "أكثر من 5 ملايين" are different claims: the first may be a
little above or below, the second is close below, the third is a floor. A figure carries
the claim its source makes, and every place that prints it keeps that claim: sentences
with the word, tables and cards with the word, chart labels with a mark explained under
the chart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Qualifier:
    key: str
    word: str  # printed with the number: before it, or after its noun when `after`
    mark: str  # beside a chart's value label; explained under the chart
    english: str
    family: tuple[str, ...]  # words that carry this claim in a sentence ("ناهز", "يناهز", ...)
    after: bool = False
    # The number after حوالي, قرابة, أكثر من is in the genitive (مضاف إليه / after من):
    # "حوالي ساعتين", not "حوالي ساعتان".
    case: str = "gen"


QUALIFIERS: dict[str, Qualifier] = {
    q.key: q
    for q in (
        Qualifier(
            "about", "حوالي", "≈", "about",
            ("حوالي", "حوالى", "نحو", "بنحو", "زهاء", "تقريبا", "قرابة"),
        ),
        Qualifier(
            "nearly", "قرابة", "≈", "nearly",
            ("قرابة", "ناهز", "ناهزت", "يناهز", "تناهز", "ما يناهز", "قارب", "قاربت", "يقارب",
             "تقارب", "ما يقارب", "يكاد يبلغ", "تكاد تبلغ"),
        ),
        Qualifier(
            "more_than", "أكثر من", "+", "more than",
            ("أكثر من", "ما يزيد على", "ما يزيد عن", "يزيد على", "تزيد على", "يزيد عن", "تزيد عن",
             "يفوق", "تفوق", "فاق", "فاقت", "تجاوز", "تجاوزت", "يتجاوز", "تتجاوز", "تخطى", "تخطت",
             "يتخطى", "تتخطى"),
        ),
        Qualifier(
            "at_least", "على الأقل", "+", "at least",
            ("على الأقل", "لا يقل عن", "لا تقل عن", "ما لا يقل عن"), after=True, case="nom",
        ),
        Qualifier(
            "up_to", "ما يصل إلى", "≤", "up to",
            ("ما يصل إلى", "يصل إلى", "تصل إلى", "قد يصل", "قد تصل", "حتى", "أقصى", "أقصاه", "أقصاها",
             "لا يتجاوز", "لا تتجاوز", "على أبعد تقدير"),
        ),
    )
}  # fmt: skip

# What an editor may write in `qualifier:` (or the older `approx:`): the key or an Arabic word.
ALIASES: dict[str, str] = {key: key for key in QUALIFIERS}
ALIASES.update({word: q.key for q in QUALIFIERS.values() for word in q.family})
ALIASES.update({"more than": "more_than", "at least": "at_least", "up to": "up_to"})


def qualifier_of(name: str | None) -> Qualifier | None:
    return QUALIFIERS.get(name) if name else None


def combined(qualifiers: list[str | None]) -> str | None:
    """The claim a figure computed from others makes: exact only when all its inputs are.

    One kind throughout keeps that kind when it survives arithmetic in one direction only
    (a sum of "more than" figures is still "more than"); any mix is "about".
    """
    given = {q for q in qualifiers if q}
    if not given:
        return None
    return "about"

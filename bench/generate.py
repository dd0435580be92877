"""Generate a synthetic report project of N sections, each with figures, a table and a chart.

python bench/generate.py 50 /tmp/bench-50
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

WORDS = (
    "المديرية العامة للأمن الوطني التواصل المؤسساتي الانفتاح على المحيط الاجتماعي الفضاء الرقمي "
    "الحملات التحسيسية المؤسسات التعليمية المواطن الإعلام الأخبار الزائفة الشرطة المجتمعية الثقة "
    "الشفافية الحصيلة السنوية المؤشرات التظاهرات الكبرى الخبرة الدولية التكوين المستمر الجهات "
    "المصالح اللاممركزة الولايات الأمنية البلاغات الصحفية المنصات الرسمية المتابعون التفاعل الوقاية "
    "الجريمة السلامة الطرقية المدارس الجمعيات الشراكة التنسيق التقييم التطوير الرقمنة الأرشيف"
).split()


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def generate(sections: int, root: Path, seed: int = 7) -> Path:
    """Write the project and return its root."""
    rng = random.Random(seed)
    (root / "data" / "sections").mkdir(parents=True, exist_ok=True)
    settings = {
        "title": "موجز تجريبي لقياس الأداء",
        "subtitle": f"مشروع اصطناعي من {sections} قسما",
        "issuer": "وحدة القياس",
        "date": "2024-05-17",
        "edition": 1,
        "classification": "للاستعمال الداخلي",
        "key_figures": [f"s{i}_a" for i in range(min(sections, 8))],
    }
    (root / "data" / "settings.yaml").write_text(
        yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8"
    )
    figures, tables, charts = {}, {}, {}
    for i in range(sections):
        for letter in "abc":
            figures[f"s{i}_{letter}"] = {
                "label": f"مؤشر {letter} للقسم {i + 1}",
                "value": rng.randint(1_000, 2_000_000),
                "unit": "حالة",
                "period": "2023",
                "source": "bench",
            }
        figures[f"s{i}_series"] = {
            "label": f"تطور المؤشر الرئيسي للقسم {i + 1}",
            "series": {year: rng.randint(10_000, 900_000) for year in range(2020, 2024)},
            "unit": "حالة",
            "source": "bench",
        }
        figures[f"s{i}_growth"] = {
            "label": f"نمو القسم {i + 1}",
            "compute": f"growth(s{i}_series[2020], s{i}_series[2023])",
            "unit": "%",
            "signed": True,
        }
        tables[f"s{i}_table"] = {
            "caption": f"مؤشرات القسم {i + 1}",
            "source": "bench",
            "figures": [f"s{i}_a", f"s{i}_b", f"s{i}_c"],
        }
        if i % 2:
            charts[f"s{i}_chart"] = {
                "kind": "line",
                "caption": f"تطور مؤشر القسم {i + 1}",
                "alt": "خط زمني",
                "source": "bench",
                "figures": [f"s{i}_series"],
            }
        else:
            charts[f"s{i}_chart"] = {
                "kind": "bar",
                "caption": f"مقارنة مؤشرات القسم {i + 1}",
                "alt": "أعمدة",
                "source": "bench",
                "figures": [f"s{i}_a", f"s{i}_b", f"s{i}_c"],
            }
        text = [
            f"# القسم {i + 1}: {paragraph(rng, 4)[:-1]}",
            "",
            paragraph(rng, 70)
            + f" بلغ المؤشر الأول {{{{ s{i}_a | press }}}} {{{{ s{i}_a.unit }}}}، والثاني {{{{ s{i}_b | number }}}}.",
            "",
            f"{{{{ table('s{i}_table') }}}}",
            "",
            "## " + paragraph(rng, 3)[:-1],
            "",
            paragraph(rng, 90)
            + f" وتغير المؤشر الرئيسي بنسبة {{{{ s{i}_growth | percent }}}}.{{{{ cite('bench') }}}}",
            "",
            f"{{{{ chart('s{i}_chart') }}}}",
            "",
            paragraph(rng, 60),
        ]
        (root / "data" / "sections" / f"{i + 1:03d}.md").write_text("\n".join(text) + "\n", encoding="utf-8")
    data = {
        "figures": figures,
        "tables": tables,
        "charts": charts,
        "sources": {"bench": {"title": "معطيات اصطناعية للقياس"}},
    }
    (root / "data" / "data.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return root


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))

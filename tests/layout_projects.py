"""Small projects for the layout tests: the water example on another page size, with a long
CSV table (long labels, qualified numbers), a source with a URL and a note call after a year."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE, copy_project

DISTRICTS = [
    "عمالة المدينة", "إقليم الساحل الشمالي", "إقليم الجبل", "جماعة وادي الزيتون القروية",
    "إقليم السهل الأوسط", "عمالة الضاحية الشرقية", "المركز الحضري الجديد", "إقليم الواحات",
]  # fmt: skip

LONG_TABLE = """
  connections_by_centre:
    caption: الربط الجديد حسب المركز خلال الفصل الأول من السنة
    source: water_portal
    csv: centres.csv
    columns:
      centre: {label: المركز أو الجماعة التابعة للعمالة أو الإقليم, format: text}
      year: {label: السنة, format: plain}
      connections: {label: عدد عمليات الربط الجديدة بالشبكة, format: number, qualifier: about}
      share: {label: الحصة من المجموع, format: percent}
"""

SOURCE = """
  water_portal:
    title: بوابة المعطيات المفتوحة للوكالة (معطيات افتراضية)
    publisher: الوكالة الجهوية للماء والتطهير
    url: https://data.example.org/water/quarterly-report/2024/connections-by-centre.csv
"""

SECTION = """\
# الربط حسب المراكز

ارتفع عدد عمليات الربط الجديدة في سنة 2024 بوتيرة متفاوتة بين المراكز، كما يبينه الجدول الآتي.{{ cite("water_portal") }}

{{ table("connections_by_centre") }}

وتبقى هذه الأرقام أولية إلى حين صدور التقرير السنوي.
"""


def layout_project(root: Path, page_size: str, rows: int = 40) -> Path:
    """The water example on `page_size`, with a table of `rows` rows that must split."""
    copy_project(EXAMPLE, root)
    settings = root / "data" / "settings.yaml"
    text = settings.read_text(encoding="utf-8").replace("page_size: A4", f"page_size: {page_size}")
    settings.write_text(text.replace("output/water-briefing.pdf", "output/briefing.pdf"), encoding="utf-8")
    lines = ["centre,year,connections,share"]
    for index in range(rows):
        name = DISTRICTS[index % len(DISTRICTS)]
        lines.append(f"{name},{2021 + index % 4},{(index * 7919) % 12000 + 40},{(index * 37) % 100 / 10}")
    (root / "data" / "centres.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    figures = root / "data" / "figures.yaml"
    text = figures.read_text(encoding="utf-8")
    text = text.replace("\ntables:\n", "\ntables:" + LONG_TABLE).replace(
        "\nsources:\n", "\nsources:" + SOURCE
    )
    figures.write_text(text, encoding="utf-8")
    (root / "data" / "sections" / "04-centres.md").write_text(SECTION, encoding="utf-8")
    return root

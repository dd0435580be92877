"""`python -m report new FOLDER`: a small project that builds at once, to start a briefing from.

Everything is written by this module, the workbook too (a minimal .xlsx writer: no
spreadsheet library is needed at run time), so the project is the same on every machine.
"""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import ReportError

SHEET = "الزوار"
# The workbook's cells: the header, then one row a year; E2 is a percentage cell.
ROWS = [
    ["السنة", "الزوار", "الأنشطة"],
    [2021, 18500, 42],
    [2022, 21300, 47],
    [2023, 24150, 55],
]
SATISFACTION = ("E1", "نسبة الرضا", "E2", 0.864)

SETTINGS = """\
# إعدادات الموجز: العنوان والجهة والتاريخ وطريقة كتابة الأرقام والأرقام الرئيسية.
title: موجز المعرض الجهوي للكتاب
subtitle: حصيلة الدورة الأخيرة ومؤشراتها
issuer: اسم المؤسسة
date: {today}
edition: 1
digits: western            # أو arabic-indic
key_figures: [visitors, visitors_growth, satisfaction]
"""

FIGURES = """\
# الأرقام ومصادرها. تأتي أرقام الزوار من المصنف stats.xlsx الذي ترسله المصلحة المعنية.
units:
  visitor: {singular: زائر, plural: زوار, gender: m}
  exhibitor: {singular: عارض, plural: عارضين, gender: m}
figures:
  visitors:
    label: زوار المعرض
    series: {workbook: stats.xlsx, sheet: الزوار, range: A1:C20, key: السنة, value: الزوار}
    unit: visitor
    source: annual_report
  visitors_growth:
    label: نمو عدد الزوار
    compute: growth(visitors[2022], visitors[2023])
    unit: "%"
    period: 2022-2023
    source: annual_report
  satisfaction:
    label: نسبة رضا الزوار
    value: {workbook: stats.xlsx, sheet: الزوار, cell: E2}
    unit: "%"
    period: "2023"
    source: annual_report
  exhibitors:
    label: العارضون
    value: 120
    unit: exhibitor
    qualifier: more_than
    source: annual_report
tables:
  by_year:
    caption: الزوار والأنشطة حسب السنة
    source: annual_report
    workbook: stats.xlsx
    sheet: الزوار
    range: A1:C20
    columns:
      السنة: {label: السنة, format: plain}
      الزوار: {label: الزوار, format: number}
      الأنشطة: {label: الأنشطة, format: number}
charts:
  visitors_chart:
    kind: bar
    caption: تطور عدد زوار المعرض حسب السنة
    source: annual_report
    alt: أعمدة صاعدة تبين ارتفاع عدد زوار المعرض سنة بعد سنة
    figures: [visitors]
    labels:
      visitors: الزوار
sources:
  annual_report:
    title: التقرير السنوي للمعرض
    publisher: اسم المؤسسة
"""

OVERVIEW = """\
# نظرة عامة

استقبل المعرض في دورته الأخيرة {{ visitors["2023"] | count("press") }}، بزيادة قدرها \
{{ visitors_growth | percent }} عن الدورة السابقة،{{ cite("annual_report") }} وشارك فيه \
{{ exhibitors | count }}.

{{ chart("visitors_chart") }}
"""

DETAILS = """\
# التفاصيل

بلغت نسبة رضا الزوار {{ satisfaction | percent }} حسب استطلاع أجري في نهاية المعرض. ويعرض \
الجدول الآتي الزوار والأنشطة حسب السنة كما وردت في مصنف الإحصائيات.

{{ table("by_year") }}
"""

GITIGNORE = "output/\n.report-cache/\n"

README = """\
# {name}

مشروع موجز أنشأه `python -m report new`. كل ما في الموجز يأتي من هذا المجلد:

| المكان | ما فيه |
| --- | --- |
| `data/settings.yaml` | العنوان والجهة المصدرة والتاريخ ورقم الإصدار وطريقة كتابة الأرقام والأرقام الرئيسية |
| `data/figures.yaml` | الأرقام ووحداتها ومصادرها، والجداول والرسوم البيانية |
| `data/stats.xlsx` | مصنف الإحصائيات: استبدله بالمصنف الجديد الذي ترسله المصلحة مع الحفاظ على أسماء الأعمدة |
| `data/sections/` | نص الموجز: ملف Markdown لكل قسم، مرتبة حسب اسم الملف، والسطر الأول عنوان القسم |
| `output/` | الموجز بصيغة PDF بعد البناء (لا يحفظ في git) |

لا تكتب الأرقام بيدك في نص الأقسام: اذكر اسم الرقم بين قوسين مزدوجين، مثل
`{{{{ visitors["2023"] | count }}}}`، فيكتبه البرنامج بصيغته الصحيحة مع المعدود.

الأوامر:

```sh
python -m report check --strict   # فحص البيانات والنصوص دون طباعة
python -m report build            # بناء output/briefing.pdf
python -m report figures          # كل رقم بقيمته كما يطبع ومصدره ومكان استعماله
python -m report diff             # ما تغير منذ آخر بناء
```
"""


def _cell(ref: str, value) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def workbook_bytes() -> bytes:
    """A small .xlsx file: one sheet of ROWS and a percent-formatted cell, as Excel would read it."""
    from io import BytesIO

    from .workbook import cell_name

    rows = []
    for r, values in enumerate(ROWS):
        cells = [_cell(cell_name(r, c), value) for c, value in enumerate(values)]
        if r == 0:
            cells.append(_cell(SATISFACTION[0], SATISFACTION[1]))
        if r == 1:
            cells.append(f'<c r="{SATISFACTION[2]}" s="1"><v>{SATISFACTION[3]}</v></c>')
        rows.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" '
            f'xmlns:r="{rel}"><sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{main}">'
            '<fonts count="1"><font><sz val="11"/><name val="Arial"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{main}">'
            '<sheetViews><sheetView rightToLeft="1" workbookViewId="0"/></sheetViews>'
            f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
        ),
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def new_project(folder: Path | str, today: date | None = None) -> list[Path]:
    """Write a new project into `folder` (new or empty); return the files written."""
    root = Path(folder)
    if root.is_symlink() and not root.exists():
        raise ReportError(f"{root} is a link to nothing: give a new or empty folder")
    if root.exists() and not root.is_dir():
        raise ReportError(f"{root} is a file: give a new or empty folder")
    if root.is_dir() and any(os.scandir(root)):
        raise ReportError(f"{root} is not empty: 'new' writes only into a new or empty folder")
    today = today or date.today()
    files: dict[str, str | bytes] = {
        "data/settings.yaml": SETTINGS.format(today=today.isoformat()),
        "data/figures.yaml": FIGURES,
        "data/stats.xlsx": workbook_bytes(),
        "data/sections/01-overview.md": OVERVIEW,
        "data/sections/02-details.md": DETAILS,
        ".gitignore": GITIGNORE,
        "README.md": README.format(name=root.resolve().name),
    }
    written = []
    try:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
            written.append(path)
    except OSError as error:
        # A parent that is a file, a read-only place, a full disk: one line, not a traceback.
        raise ReportError(f"cannot create the project in {root}: {error.strerror}") from None
    return written

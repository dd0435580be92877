"""Write data/arrivals.xlsx as the observatory's spreadsheet would be: `python make_workbook.py`.

openpyxl computes no formula: the value Excel would cache on saving is written beside each
formula, so the workbook reads as it does once opened and saved in a spreadsheet.
"""

import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).parent
YEARS = [(2020, 412300, 98700, 0.214), (2021, 538900, 121400, 0.287), (2022, 702150, 389600, 0.412),
         (2023, 768400, 471250, 0.468)]
PROVINCES = [("الساحل", 1184000, 5200, 0.523), ("الواحة", 642500, 3100, 0.448), ("الجبل", 398700, 2400, 0.381),
             ("السهل", 214300, 1500, 0.316)]

book = openpyxl.Workbook()
sheet = book.active
sheet.title = "الوافدون"
sheet.sheet_view.rightToLeft = True
sheet["A1"] = "الوافدون على المؤسسات السياحية المصنفة"
sheet.merge_cells("A1:E1")
sheet["A1"].font = Font(bold=True)
sheet["A1"].alignment = Alignment(horizontal="center")
sheet.append(["السنة", "المغاربة", "الأجانب", "المجموع", "نسبة الملء"])
cached = {}
for row, (year, residents, foreigners, occupancy) in enumerate(YEARS, start=3):
    sheet.append([year, residents, foreigners, f"=B{row}+C{row}", occupancy])
    cached[f"D{row}"] = residents + foreigners
    sheet[f"E{row}"].number_format = "0.0%"
    for column in "BCD":
        sheet[f"{column}{row}"].number_format = "#,##0"

provinces = book.create_sheet("الأقاليم")
provinces.sheet_view.rightToLeft = True
provinces.append(["الإقليم", "ليالي المبيت", "الأسرة", "نسبة الملء"])
for province, nights, beds, occupancy in PROVINCES:
    provinces.append([province, nights, beds, occupancy])
    provinces.cell(provinces.max_row, 4).number_format = "0.0%"
last = provinces.max_row
provinces.append(["المجموع", f"=SUM(B2:B{last})", f"=SUM(C2:C{last})", None])
cached2 = {f"B{last + 1}": sum(p[1] for p in PROVINCES), f"C{last + 1}": sum(p[2] for p in PROVINCES)}
target = HERE / "data" / "arrivals.xlsx"
book.save(target)

with zipfile.ZipFile(target) as archive:
    parts = {info.filename: archive.read(info) for info in archive.infolist()}
for part, values in (("xl/worksheets/sheet1.xml", cached), ("xl/worksheets/sheet2.xml", cached2)):
    xml = parts[part].decode()
    for ref, value in values.items():
        xml = re.sub(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>", xml)
    parts[part] = xml.encode()
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for name, data in parts.items():
        info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
print(f"wrote {target}")

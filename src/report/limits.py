"""The bounds every project is held to: sizes, counts and depths past which input is refused.

A project's files are not trusted (see SECURITY.md), so no file, template or data value
may make a build take more than seconds of CPU or a bounded amount of memory. Each
limit was set from measured real projects with a wide margin: the default briefing
(21 pages) uses less than a tenth of every one of them.

The person who runs `report` is trusted: `REPORT_MAX_FILE_MB` in the environment raises
the file size limit for a project that truly needs larger inputs. The project itself
cannot change a limit.
"""

from __future__ import annotations

import os

# -- files ------------------------------------------------------------------------------
# Largest input file read (YAML, CSV, Markdown, template, stylesheet, image, font).
# The default briefing's largest data file is 6 KB and its largest font 600 KB.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Most files a project folder may hold (data, templates, fonts together).
MAX_PROJECT_FILES = 5000
# Deepest folder nesting walked inside a project.
MAX_FOLDER_DEPTH = 16

# -- YAML -------------------------------------------------------------------------------
# Alias uses (`*anchor`) per YAML file: the billion-laughs bomb needs thousands.
MAX_YAML_ALIASES = 100
# Nesting of mappings and lists in one YAML file.
MAX_YAML_DEPTH = 30
# Values (scalars, mappings, lists) built from one YAML file, aliases expanded.
MAX_YAML_NODES = 200_000

# -- templates (sections and template overrides) ------------------------------------------
# Characters one section, or the whole document, may produce. The default briefing's HTML
# is 34,540 characters (its longest section 9,000), a generated 200-section briefing's
# 695,962. Layout time grows with the document: WeasyPrint lays out the 200-section one
# in about a minute, so the document bound is a bound on layout time too.
MAX_SECTION_OUTPUT = 200_000
MAX_DOCUMENT_OUTPUT = 5_000_000
# Loop iterations and calls, all together, in one render (a section with what it places,
# or the document). The default briefing takes 84 for its largest render, a generated
# 200-section briefing 1,224; the worst template (a macro that calls itself twice) reaches
# the limit in 1.8 s, nested loops in 0.5 s (the whole CLI run).
MAX_TEMPLATE_STEPS = 200_000
# Characters (and list items) that operations (`~`, `+`, `*`, calls, filters, output) may
# build in one render. The 200-section briefing builds 695,982; sorting or grouping a
# list costs its length here too, so no render sorts more than this many items in all.
MAX_TEMPLATE_CHARACTERS = 10_000_000
# Length of any one text or list a template builds (and of a range()).
MAX_TEMPLATE_VALUE = 100_000
# Nesting of brackets in a template expression: Jinja's parser recurses on each level.
MAX_TEMPLATE_DEPTH = 30

# Blocks a document places (quotations, tables, charts, citations) and headings it has:
# each is laid out, numbered and listed. The default briefing has 27 blocks and 28
# headings, the generated 200-section briefing 600 blocks and 400 headings.
MAX_BLOCKS = 2_000
MAX_HEADINGS = 2_000
# The project's own stylesheet (templates/style.css): size, and nesting of its braces.
# examples/water's is 300 bytes; the built-in stylesheet 9 KB, 3 levels deep.
MAX_STYLESHEET_BYTES = 500_000
MAX_STYLESHEET_DEPTH = 30

# Pages one layout may produce (a stylesheet can make pages 2 px high). The default
# briefing has 21, the generated 200-section briefing about 400.
MAX_PAGES = 2_000
# Key figures on the key-figures pages (the default briefing shows 12).
MAX_KEY_FIGURES = 100
# Size of an SVG image from the project (a logo is a few KB).
MAX_SVG_BYTES = 1_000_000
# Pixels of one raster image the layout may decode (a 13,000 x 13,000 PNG is 164 KB).
MAX_IMAGE_PIXELS = 40_000_000
# Pages of all copies of one `copies` run (copies x pages of the briefing).
MAX_COPY_PAGES = 1_000_000
# Bytes of the input files attached to a PDF/A-3b (the default briefing's: 60 KB).
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

# Nesting of Markdown elements (emphasis in emphasis, lists in lists, quotes in quotes):
# the layout recurses on each. The default briefing's deepest is 4.
MAX_MARKDOWN_DEPTH = 40

# -- numbers ----------------------------------------------------------------------------
# Digits of a whole number in data or a template result: past 15, a float loses digits.
MAX_NUMBER_DIGITS = 15

# -- distribution -------------------------------------------------------------------------
MAX_RECIPIENTS = 20_000


def max_file_bytes() -> int:
    """The file size limit, raised by the person running `report` through REPORT_MAX_FILE_MB."""
    raw = os.environ.get("REPORT_MAX_FILE_MB", "").strip()
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            return MAX_FILE_BYTES
        if megabytes > 0:
            return int(megabytes * 1024 * 1024)
    return MAX_FILE_BYTES


# Characters of one recipient's name or unit in a distribution list, after invisible
# characters are removed and spaces collapsed (the longest real unit name seen: ~90).
MAX_RECIPIENT_TEXT = 200

# -- data sizes that layout and drawing pay for -------------------------------------------
# Characters of one text value in a YAML file (any string: label, caption, fact, quote).
# The default briefing's longest is 166 characters, examples/water's 93; a
# 1,000,000-character label took over 120 s to lay out.
MAX_YAML_STRING = 10_000
# Rows of one CSV file (header not counted), refused at the first row past it: a
# 300,000-row file took 13 s before it was refused further on. The default briefing's
# largest CSV has 5 rows, examples/water's 3.
MAX_CSV_ROWS = 10_000
# Characters of a chart's title and caption, and of each label drawn on it (the alt text,
# never drawn, is bounded by MAX_YAML_STRING only): a
# 20,000-word title took 111 s in matplotlib. The longest in the default briefing: title
# 36, caption 62, label 29 characters; in examples/water: title 22, caption 69, label 32.
MAX_CHART_TEXT = 300
# Categories (bars, slices, periods, events) of one chart, and points of each series: a
# line chart of 5,000 periods took 80 s to draw. The default briefing's largest chart has 5
# (a timeline of 5 events), examples/water's 3.
MAX_CHART_POINTS = 100
# Characters drawn on one chart, title and every label together: 100 labels of 290
# characters took 27 s to draw, 100 of 20 characters 3.7 s (whole build). The default
# briefing's most is 85, examples/water's 103.
MAX_CHART_CHARACTERS = 2_000

# -- workbooks (.xlsx, .ods: zip archives of XML) ----------------------------------------
# A workbook is a zip file: its size on disk (MAX_FILE_BYTES) says little about what it
# holds. A department's statistics workbook unpacks to well under 1 MB (the example's to
# 20 KB); a zip bomb unpacks a few KB to gigabytes. Checked from the archive's own list of
# members before any reader opens it, and again while the parts are read.
MAX_WORKBOOK_UNPACKED_BYTES = 100 * 1024 * 1024
# Unpacked / packed size of one member of more than 1 MB: spreadsheet XML packs 5 to 30
# times; a bomb packs a thousand times and more.
MAX_WORKBOOK_RATIO = 200
MAX_WORKBOOK_MEMBERS = 10_000
# Cells of a sheet's used rectangle (its last row x its last column; for an .ods file, of
# all its sheets), since the reader holds the whole rectangle in memory: one cell written
# at XFD1048576 would make 17 billion. The example's sheets have 40 cells.
MAX_WORKBOOK_CELLS = 1_000_000

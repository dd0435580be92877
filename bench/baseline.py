"""The plain route a user would write by hand, for comparison: matplotlib draws each chart to SVG
one after the other, then WeasyPrint renders the same HTML with those SVGs.

    python bench/baseline.py BUNDLE.pickle [charts|weasyprint|both]
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(bundle_path: str, part: str = "both") -> None:
    bundle = pickle.loads(Path(bundle_path).read_bytes())
    if part in ("charts", "both"):
        from report.drawing import draw_svg

        for chart, path in bundle["charts"]:
            Path(path).write_bytes(draw_svg(chart, bundle["style"], bundle["formatter"]))
    if part in ("weasyprint", "both"):
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        css = weasyprint.CSS(string=bundle["css"], base_url=bundle["base"], font_config=fonts)
        html = weasyprint.HTML(
            string=bundle["html"], base_url=bundle["base"], url_fetcher=_fonts_fetcher(bundle["fonts"])
        )
        # The same kind of PDF as report writes (tagged), so the ratios compare like with like.
        html.write_pdf(bundle["output"], stylesheets=[css], font_config=fonts, pdf_tags=True)


def _fonts_fetcher(font_dir: str):
    from weasyprint.urls import URLFetcher

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("font:"):
                url = Path(font_dir, url[5:]).as_uri()
            return super().fetch(url, headers)

    return Fetcher()


if __name__ == "__main__":
    main(*sys.argv[1:])

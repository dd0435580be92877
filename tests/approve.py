"""Approve the gallery's pictures: build every example and store the pages test_gallery compares.

Run it only after looking at the pages it writes (they are what the tests will hold the
examples to): `python tests/approve.py` (all examples) or `python tests/approve.py health`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from test_gallery import APPROVED, EXAMPLES, approved_pages, build_example, render  # noqa: E402


def main(names: list[str]) -> None:
    APPROVED.mkdir(exist_ok=True)
    chosen = [e for e in EXAMPLES if not names or e.name in names]
    with tempfile.TemporaryDirectory() as scratch:
        for example in chosen:
            pdf = build_example(example, Path(scratch) / f"{example.name}.pdf")
            for label, page in approved_pages(pdf).items():
                picture = render(pdf, page, Path(scratch) / f"{example.name}-{label}.png")
                shutil.copyfile(picture, APPROVED / picture.name)
                print(f"approved {APPROVED / picture.name} (page {page})")


if __name__ == "__main__":
    main(sys.argv[1:])

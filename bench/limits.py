"""Measure the bounds of src/report/limits.py: what real projects use, and how fast hostile ones stop.

python bench/limits.py

Part 1 renders real projects (the default briefing, examples/water and a generated
200-section briefing) and prints the most template steps, characters and output any one
render used. Part 2 runs `python -m report check` on hostile projects under `ulimit -v`
and prints the exit code, the wall time and the peak memory of each refusal beside a
plain check of a small project, so that the figures are compared within one run on this
shared machine rather than against a fixed number.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

SETTINGS = "title: t\nissuer: i\ndate: 2024-05-17\n"


def usage_of_real_projects(scratch: Path) -> None:
    from generate import generate

    from report import sandbox
    from report.build import check

    peak = {"steps": 0, "characters": 0, "output": 0}
    render = sandbox.ReportSandbox.render_bounded

    def measured(self, template, context, limit):
        out = render(self, template, context, limit)
        peak["output"] = max(peak["output"], len(out))
        if self._renders == 0:
            peak["steps"] = max(peak["steps"], self._steps)
            peak["characters"] = max(peak["characters"], self._characters)
        return out

    sandbox.ReportSandbox.render_bounded = measured
    projects = {
        "default briefing": ROOT,
        "examples/water": ROOT / "examples" / "water",
        "200 sections": generate(200, scratch / "bench-200"),
    }
    print("| project | steps | characters built | largest output | limits |")
    print("| --- | --- | --- | --- | --- |")
    from report import limits

    for name, path in projects.items():
        peak.update(steps=0, characters=0, output=0)
        check(path)
        print(
            f"| {name} | {peak['steps']:,} | {peak['characters']:,} | {peak['output']:,} | "
            f"{limits.MAX_TEMPLATE_STEPS:,} / {limits.MAX_TEMPLATE_CHARACTERS:,} / "
            f"{limits.MAX_DOCUMENT_OUTPUT:,} |"
        )
    sandbox.ReportSandbox.render_bounded = render


def laughs() -> str:
    text = 'facts:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    return text


HOSTILE = {
    "plain check (reference)": {},
    "billion laughs": {"data/facts.yaml": laughs()},
    "10,000 nested [": {"data/facts.yaml": "facts:\n  a: " + "[" * 10_000 + "]" * 10_000 + "\n"},
    "250,000 values": {"data/facts.yaml": "facts:\n  a: [" + "1," * 250_000 + "1]\n"},
    "nested range(100000) loops": {
        "data/sections/01.md": "# t\n\n{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}\n"
    },
    "macro calling itself twice": {
        "data/sections/01.md": "# t\n\n{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}"
        "{% endif %}{% endmacro %}{{ f(40) }}\n"
    },
    "text doubled in a loop": {
        "data/sections/01.md": '# t\n\n{% set ns = namespace(s="xy") %}{% for i in range(64) %}'
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n"
    },
    '"x" * 10**9': {"data/sections/01.md": '# t\n\n{{ "x" * 10**9 }}\n'},
    "1 MB text upper-cased 200,000 times": {
        "data/sections/01.md": '# t\n\n{% set big = "x" * 1000000 %}{% for i in range(200000) %}'
        "{{ big | upper | length }}{% endfor %}\n"
    },
    "section linked to /dev/zero": {"link:data/sections/02.md": "/dev/zero"},
    "join with an 8,000-character separator": {
        "data/sections/01.md": '# t\n\n{{ ("x" * 99999) | list | join("y" * 8000) | length }}\n'
    },
    "2,001 citations": {
        "data/sources.yaml": "sources:\n  s: {title: s}\n",
        "data/sections/01.md": "# t\n\n{% for i in range(2001) %}{{ cite('s') }}{% endfor %}\n",
    },
    "a 1,000,000-character label": {
        "data/figures.yaml": "figures:\n  a:\n    label: " + "ب" * 1_000_000 + "\n    value: 1\n"
    },
    "a CSV of 300,000 rows": {
        "data/figures.yaml": "figures:\n  v:\n    label: v\n    series: {csv: v.csv, key: k, value: n}\n",
        "data/v.csv": "k,n\n" + "".join(f"{i},1\n" for i in range(300_000)),
    },
    "a line chart of 5,000 periods": {
        "data/figures.yaml": "figures:\n  v:\n    label: v\n    series: {"
        + ", ".join(f"{1000 + i}: {i}" for i in range(5000))
        + "}\ncharts:\n  c: {kind: line, caption: c, alt: c, figures: [v]}\n",
        "data/sections/01.md": "# t\n\n{{ chart('c') }}\n",
    },
    "a stylesheet nested 100,000 deep": {
        "templates/style.css": "a{" + "b{" * 100_000 + "}" * 100_000 + "}",
    },
}


def write(root: Path, files: dict[str, str]) -> Path:
    (root / "data" / "sections").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "data" / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "data" / "sections" / "01.md").write_text("# t\n\nنص.\n", encoding="utf-8")
    for name, content in files.items():
        if name.startswith("link:"):
            os.symlink(content, root / name[5:])
        else:
            (root / name).write_text(content, encoding="utf-8")
    return root


def refusals(scratch: Path) -> None:
    print("\n| hostile project | exit | seconds | peak MiB (any run so far) | x plain check | message |")
    print("| --- | --- | --- | --- | --- | --- |")
    reference = None
    for index, (name, files) in enumerate(HOSTILE.items()):
        project = write(scratch / f"hostile-{index}", files)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        command = f'ulimit -v 4000000; exec "{sys.executable}" -m report check "{project}"'
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
        seconds = time.perf_counter() - started
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        reference = reference or seconds
        message = (done.stderr.strip().splitlines() or [""])[-1][:80]
        print(
            f"| {name} | {done.returncode} | {seconds:.2f} | {peak:.0f} | {seconds / reference:.1f} | {message} |"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        usage_of_real_projects(scratch)
        refusals(scratch)


if __name__ == "__main__":
    main()

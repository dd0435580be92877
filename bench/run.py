"""Benchmark `report` against the plain route (bench/baseline.py) on synthetic projects.

    python bench/run.py              # N = 5, 50, 200 and the default briefing
    python bench/run.py 5 50         # chosen sizes only
    python bench/run.py --runs 3     # each figure the median of three runs

For each project, in one run: wall time of a cold build, a no-change rebuild, a one-figure
rebuild (new process, and inside a warm process as --watch does), the baseline (charts
drawn one after the other by matplotlib, then WeasyPrint), and each of its two parts
alone; and the peak memory of a cold build and of the baseline, each in a second run of
its own (sampling memory slows what it samples). Ratios compare figures of the same run.
"""

from __future__ import annotations

import os
import pickle
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def timed(command: list[str]) -> float:
    """Run a command; return its wall time (s), measured with nothing else watching it.

    Memory is measured in a run of its own (`timed_memory`): reading every process's PSS
    20 times a second takes CPU from a build that uses every core (about 9 % of a cold
    N = 200 build on two cores), and none from the baseline, which uses one.
    """
    start = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.decode()}")
    return seconds


def timed_memory(command: list[str]) -> tuple[float, float, float]:
    """Wall time (s), and two peaks (MiB) of the process tree sampled every 50 ms:
    - resident memory summed over the processes (never less than the largest single
      process's own peak): pages a forked worker shares with its parent count twice;
    - proportional set size (PSS) summed: each shared page split among its sharers, so the
      sum is what the tree takes from the machine."""
    import threading

    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            rss, pss = tree_memory(process.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return seconds, max(peak[0] / 1024, usage.ru_maxrss / 1024), peak[1] / 1024


def tree_memory(root: int) -> tuple[int, int]:
    """Resident and proportional KiB of a process and all its descendants, from /proc.

    Descendants are found through /proc/<pid>/task/<tid>/children: listing every process of
    the machine 50 times a second took a good part of a core from the build being measured.
    """
    total, proportional, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss(pid)
        proportional += _pss(pid)
        stack.extend(_children(pid))
    return total, proportional


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
    except OSError:
        pass
    return found


def _rss(pid: int) -> int:
    return _kib(f"/proc/{pid}/status", "VmRSS:")


def _pss(pid: int) -> int:
    return _kib(f"/proc/{pid}/smaps_rollup", "Pss:")


def _kib(path: str, field: str) -> int:
    """A `field: N kB` line of a /proc file (0 once the process is gone)."""
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def build_command(project: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "report", "build", str(project), "-q", *flags]


def change_one_figure(project: Path) -> None:
    """Change the first plain value found in the data: one figure, as an editor would."""
    for path in sorted((project / "data").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"value: (\d+)", text)
        if match and path.name != "settings.yaml":
            new = int(match.group(1)) + 1
            path.write_text(text.replace(match.group(0), f"value: {new}", 1), encoding="utf-8")
            return
    raise SystemExit("no figure to change")


def make_bundle(project: Path, folder: Path) -> Path:
    """Prepare the baseline's inputs (the same HTML, CSS and chart data); not timed."""
    from report.build import _prepare, chart_style
    from report.charts import CHART_SCHEME, ChartCache
    from report.html import DocumentBuilder
    from report.project import load_project

    loaded = load_project(project)
    values, formatter, charts = _prepare(loaded)
    # The same charts as the build draws (the text block's width).
    style = chart_style(loaded)
    cache = ChartCache(folder, style)
    builder = DocumentBuilder(loaded, values, formatter, charts, cache)
    used = [charts[name] for name in builder.charts_used()]
    cache.draw_all(used, formatter)
    html, css = builder.render()
    # The plain route draws SVG and gives WeasyPrint the files (report places its PDF drawings).
    svgs = {}
    for chart in used:
        svgs[chart.name] = folder / f"{cache._path(chart).stem}.svg"
        html = html.replace(CHART_SCHEME + cache._path(chart).name, svgs[chart.name].as_uri())
    bundle = {
        "charts": [(chart, str(svgs[chart.name])) for chart in used],
        "style": style,
        "formatter": formatter,
        "html": html,
        "css": css,
        "base": loaded.root.as_uri() + "/",
        "fonts": str(ROOT / "fonts"),
        "output": str(folder / "baseline.pdf"),
    }
    path = folder / "bundle.pickle"
    path.write_bytes(pickle.dumps(bundle))
    return path


def warm_one_figure(project: Path) -> float:
    """One-figure rebuild inside a process that has built once already (as --watch does)."""
    code = (
        "import sys, time\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from report.build import build\n"
        "from run import change_one_figure\n"
        "from pathlib import Path\n"
        "from report.watch import settle\n"
        "build(sys.argv[1], force=True, remember_parts=True)\n"
        "settle()  # what --watch does while it waits for a change\n"
        "change_one_figure(Path(sys.argv[1]))\n"
        "start = time.perf_counter(); build(sys.argv[1], remember_parts=True); print(time.perf_counter() - start)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(project), str(HERE)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def pages_of(project: Path) -> int:
    from report.manifest import Manifest
    from report.project import load_project

    manifest = Manifest.read(load_project(project).output_path)
    return manifest.data["pages"] if manifest else 0


def measure(name: str, project: Path, scratch: Path) -> dict:
    shutil.rmtree(project / ".report-cache", ignore_errors=True)
    shutil.rmtree(project / "output", ignore_errors=True)
    cold = timed(build_command(project))
    pages = pages_of(project)
    # The same cold build again, its memory sampled (its time is not used).
    shutil.rmtree(project / ".report-cache", ignore_errors=True)
    _, cold_mem, cold_pss = timed_memory(build_command(project, "--force"))
    nochange = timed(build_command(project))
    change_one_figure(project)
    one = timed(build_command(project))
    warm = warm_one_figure(project)
    bundle = make_bundle(project, scratch)
    plain = [sys.executable, str(HERE / "baseline.py"), str(bundle)]
    baseline = timed([*plain, "both"])
    _, base_mem, base_pss = timed_memory([*plain, "both"])
    charts_alone = timed([*plain, "charts"])
    weasy_alone = timed([*plain, "weasyprint"])
    return {
        "name": name, "pages": pages, "cold": cold, "cold_mem": cold_mem, "cold_pss": cold_pss, "nochange": nochange,
        "one": one, "warm": warm, "baseline": baseline, "base_mem": base_mem, "base_pss": base_pss,
        "charts_alone": charts_alone, "weasy_alone": weasy_alone,
    }  # fmt: skip


RATIOS = {"cold_ratio": "cold", "one_ratio": "one", "warm_ratio": "warm"}


def measure_runs(name: str, project: Path, scratch: Path, runs: int) -> dict:
    """`runs` measures of one project; each figure is the median of the runs, and each ratio
    the median of the ratios taken within a run (both sides measured minutes apart at most)."""
    results = []
    for _ in range(runs):
        result = measure(name, project, scratch)
        for ratio, key in RATIOS.items():
            result[ratio] = result[key] / result["baseline"]
        results.append(result)
    summary = {"name": name, "runs": runs}
    for key, value in results[0].items():
        if isinstance(value, (int, float)):
            summary[key] = statistics.median(r[key] for r in results)
        elif key not in summary:
            summary[key] = value
    return summary


def table(rows: list[dict]) -> str:
    head = (
        "| project | pages | cold build | baseline | cold/baseline | no-change | one-figure | one-figure/baseline "
        "| one-figure warm (watch) | warm/baseline | matplotlib alone | WeasyPrint alone | s/page (cold) | peak MiB (cold / baseline) | peak PSS MiB (cold / baseline) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['pages']:.0f} | {r['cold']:.2f} s | {r['baseline']:.2f} s | {r['cold_ratio']:.3f} "
            f"| {r['nochange']:.2f} s | {r['one']:.2f} s | {r['one_ratio']:.3f} | {r['warm']:.2f} s "
            f"| {r['warm_ratio']:.3f} | {r['charts_alone']:.2f} s | {r['weasy_alone']:.2f} s "
            f"| {r['cold'] / max(r['pages'], 1):.3f} | {r['cold_mem']:.0f} / {r['base_mem']:.0f} "
            f"| {r['cold_pss']:.0f} / {r['base_pss']:.0f} |"
        )
    return "\n".join(lines)


def measure_copies(project: Path, scratch: Path, count: int = 100) -> str:
    """Numbered copies against as many builds: the briefing is typeset once, then stamped."""
    recipients = scratch / "recipients.csv"
    recipients.write_text(
        "name,unit\n" + "".join(f"المستفيد {i},الوحدة {i % 7}\n" for i in range(1, count + 1)),
        encoding="utf-8",
    )
    cold = timed(build_command(project, "--force"))
    copies, memory, _ = timed_memory(
        [sys.executable, "-m", "report", "copies", str(project), "--recipients", str(recipients)]
    )
    return (
        f"{count} copies of the default briefing: {copies:.1f} s (peak {memory:.0f} MiB), "
        f"against {count} builds at {cold:.2f} s each: {count * cold:.0f} s, a ratio of {copies / (count * cold):.2f}"
    )


def main(sizes: list[int], runs: int = 1) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch_root:
        scratch = Path(scratch_root)
        default = scratch / "default"
        for part in ("data", "templates", "fonts"):
            if (ROOT / part).is_dir():
                shutil.copytree(ROOT / part, default / part)
        (scratch / "bundle-default").mkdir()
        rows.append(measure_runs("default briefing", default, scratch / "bundle-default", runs))
        print(table(rows), flush=True)
        copies_line = measure_copies(default, scratch)
        print(copies_line, flush=True)
        for size in sizes:
            project = generate(size, scratch / f"n{size}")
            (scratch / f"bundle-{size}").mkdir()
            rows.append(measure_runs(f"N = {size}", project, scratch / f"bundle-{size}", runs))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print()
    if runs > 1:
        print(f"each figure: the median of {runs} runs (ratios: the median of the ratios within each run)")
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(table(rows))
    print(copies_line)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    runs = 1
    if "--runs" in arguments:
        at = arguments.index("--runs")
        runs = int(arguments[at + 1])
        del arguments[at : at + 2]
    main([int(a) for a in arguments if a != "0"] if arguments else [5, 50, 200], runs)

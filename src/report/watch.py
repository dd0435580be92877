"""`build --watch`: rebuild on every saved change, keep going after errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ReportError

POLL_SECONDS = 0.3
DEBOUNCE_SECONDS = 0.4


def _state(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Modification time and size of every file under the watched folders."""
    state = {}
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.name.startswith("."):
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue  # deleted while we looked: the next scan sees it gone
                state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def watch(root: Path, rebuild: Callable[[], None], display_root: Path, max_builds: int | None = None) -> None:
    """Build, then rebuild whenever data, templates or fonts change (debounced).

    Polling keeps this free of extra dependencies; a project is a few hundred files at most.
    """
    folders = [root / "data", root / "templates", root / "fonts"]
    builds = 0
    while True:
        try:
            rebuild()
        except ReportError as error:
            print(error.display(display_root), file=sys.stderr, flush=True)
            print("the last good PDF is unchanged; waiting for a fix", flush=True)
        builds += 1
        if max_builds is not None and builds >= max_builds:
            return
        before = _state(folders)
        while True:
            time.sleep(POLL_SECONDS)
            now = _state(folders)
            if now != before:
                # Wait until saving stops (editors write in several steps).
                while True:
                    time.sleep(DEBOUNCE_SECONDS)
                    settled = _state(folders)
                    if settled == now:
                        break
                    now = settled
                print("change detected, rebuilding", flush=True)
                break

"""`build --watch`: rebuild on every saved change, keep going after errors."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import files
from .errors import ReportError

POLL_SECONDS = 0.3
DEBOUNCE_SECONDS = 0.4


def _state(root: Path, folders: list[Path]) -> dict[str, object]:
    """Modification time and size of every file under the watched folders.

    The walk is the build's own (files.Walk): it never follows a link out of the project,
    and it is bounded. A folder it refuses is part of the state, so fixing it is a change.
    """
    state: dict[str, object] = {}
    walk = files.Walk(files.allowed_roots(root))
    for folder in folders:
        try:
            paths = walk.files(folder)
        except ReportError as error:
            state[str(folder)] = error.message
            continue
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError:
                continue  # deleted while we looked: the next scan sees it gone
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def settle() -> None:
    """Collect garbage while waiting for a change, then set what is left aside from the collector.

    The parts kept laid out in memory are millions of objects: a full collection during the
    next rebuild would walk them all (tens of milliseconds a time, on the user's wait). Frozen,
    they are skipped until the next wait, when they are unfrozen and collected with the rest.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def watch(root: Path, rebuild: Callable[[], None], display_root: Path, max_builds: int | None = None) -> None:
    """Build, then rebuild whenever data, templates or fonts change (debounced).

    Polling keeps this free of extra dependencies; a project is a few hundred files at most.
    """
    folders = [root / "data", root / "templates", root / "fonts"]
    builds = 0
    while True:
        # Taken before the build: a file saved while it runs (or while garbage is collected
        # after it) is a change, and is built next.
        before = _state(root, folders)
        try:
            rebuild()
        except ReportError as error:
            print(error.display(display_root), file=sys.stderr, flush=True)
            print("the last good PDF is unchanged; waiting for a fix", flush=True)
        builds += 1
        if max_builds is not None and builds >= max_builds:
            return
        settle()
        now = _state(root, folders)
        while now == before:
            time.sleep(POLL_SECONDS)
            now = _state(root, folders)
        # Wait until saving stops (editors write in several steps).
        while True:
            time.sleep(DEBOUNCE_SECONDS)
            settled = _state(root, folders)
            if settled == now:
                break
            now = settled
        print("change detected, rebuilding", flush=True)

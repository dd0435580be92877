"""WeasyPrint imported without its library search (weasy.py), and with it where that fails."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import ctypes.util, sys
search = ctypes.util.find_library
{prepare}
from report import weasy
weasy.load()
from weasyprint.text import ffi
assert ffi.pango is not None and ffi.harfbuzz is not None
assert ctypes.util.find_library is search, "the library search is given back"
print("harfbuzz-subset", ffi.harfbuzz_subset is not None)
"""

HIDE_PANGO_SONAME = """
import cffi
opened = cffi.FFI.dlopen
def dlopen(self, name, flags=0):
    if name == "libpango-1.0.so.0":
        raise OSError("hidden by the test")
    return opened(self, name, flags)
cffi.FFI.dlopen = dlopen
"""


def _run(prepare: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(prepare=prepare)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_weasyprint_opens_every_library_by_its_soname():
    assert "harfbuzz-subset True" in _run("")


def test_a_library_missing_under_its_soname_is_searched_for_as_weasyprint_would():
    assert "harfbuzz-subset True" in _run(HIDE_PANGO_SONAME)

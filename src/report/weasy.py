"""Import WeasyPrint without its slow search for libraries on Linux.

WeasyPrint opens each native library (GObject, Pango, HarfBuzz, fontconfig) by trying a list
of names, Windows and macOS ones first. cffi looks every name that does not open at once up
with `ctypes.util.find_library`, which runs `ldconfig` (and `gcc`) in a subprocess: a third
of the import, 0.15 s of every build started in a new process. On Linux the list always
holds the libraries' sonames (`libpango-1.0.so.0`...), which open directly; so the search is
skipped while WeasyPrint is imported, and the import is tried again with it if that fails.
"""

from __future__ import annotations

import sys


def load() -> None:
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401

        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint  # noqa: F401
    except OSError:
        # A library not found by its soname: let WeasyPrint search as it does by itself.
        for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = search
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = search

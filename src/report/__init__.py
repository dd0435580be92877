"""Build typeset Arabic PDF briefings from data and narrative."""

__version__ = "0.1.0"

"""The ``actlab`` command line: parses and dispatches only."""

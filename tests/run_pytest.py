#!/usr/bin/env python3
"""Runs the Python package's pytest suite (python/tests) for `meson test`;
skipped (exit 77) when this interpreter lacks numpy or pytest (Debian:
python3-numpy, python3-pytest; scripts/setup.sh installs them)."""
import sys

try:
    import numpy  # noqa: F401
    import pytest
except ImportError as e:
    print(f"skipped: {e} (install python3-numpy and python3-pytest)")
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))

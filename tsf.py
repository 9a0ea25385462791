"""Lets `import tsf` work from the root of a checkout (README, Set-up): it
loads the package in python/tsf, which finds build/libtsf.so.  Installed
use needs no shim: put python/ on PYTHONPATH or copy python/tsf."""
import importlib.util as _u
import os as _os
import sys as _sys

_pkg = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "python", "tsf")
_spec = _u.spec_from_file_location("tsf", _os.path.join(_pkg, "__init__.py"),
                                   submodule_search_locations=[_pkg])
_mod = _u.module_from_spec(_spec)
_sys.modules["tsf"] = _mod
_spec.loader.exec_module(_mod)

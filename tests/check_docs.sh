#!/bin/sh
# The API reference builds with Doxygen without a single warning (the
# Doxyfile makes warnings errors: an undocumented public declaration fails),
# and the tsf(1) man page formats without groff warnings.
# Usage: check_docs.sh BUILDDIR SOURCE_ROOT   (skips, 77, without the tools)
build=$1
root=$2
status=0
if command -v groff >/dev/null 2>&1; then
    out=$(groff -man -ww -z "$root/docs/tsf.1" 2>&1)
    if [ -n "$out" ]; then
        echo "FAIL: groff warnings in docs/tsf.1:"; echo "$out"; status=1
    else
        echo "docs/tsf.1: no groff warnings"
    fi
else
    echo "groff not found: man page not checked"
fi
if ! command -v doxygen >/dev/null 2>&1 || [ ! -f "$build/Doxyfile" ]; then
    echo "skipped: doxygen not found (Debian package doxygen; scripts/setup.sh installs it)"
    [ $status -eq 0 ] && exit 77
    exit $status
fi
if ! (cd "$build" && doxygen Doxyfile >/dev/null); then
    echo "FAIL: doxygen reported warnings (above)"; status=1
else
    echo "API reference: no doxygen warnings"
fi
exit $status

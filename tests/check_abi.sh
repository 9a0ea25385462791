#!/bin/sh
# The ABI of libtsf.so against the committed baseline abi/libtsf.abi
# (abigail-tools).  Additions (new functions, fields appended to the
# growable structs) pass; an incompatible change (abidiff's bit 8: a
# function removed, a parameter or field type changed, ...) fails.
# docs/embedding.md says how to update the baseline on purpose.
# Usage: check_abi.sh LIBTSF_SO SOURCE_ROOT
lib=$1
root=$2
if ! command -v abidiff >/dev/null 2>&1; then
    echo "skipped: abidiff not found (Debian package abigail-tools; scripts/setup.sh installs it)"
    exit 77
fi
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "skipped: $lib has no debug information (build with -g, e.g. buildtype=debugoptimized)"
    exit 77
fi
abidiff --drop-private-types --headers-dir2 "$root/include/tsf" "$root/abi/libtsf.abi" "$lib"
rc=$?
if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change against abi/libtsf.abi (see above).  If it is meant,"
    echo "bump the soname and update the baseline: ninja -C build abi-baseline (docs/embedding.md)."
    exit 1
fi
if [ $((rc & 3)) -ne 0 ]; then
    echo "FAIL: abidiff could not compare (exit status $rc)"
    exit 1
fi
[ $((rc & 4)) -ne 0 ] && echo "compatible ABI changes (additions) only"
echo "ABI compatible with abi/libtsf.abi"
exit 0

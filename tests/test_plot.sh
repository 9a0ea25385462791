#!/bin/sh
# tsf forecast --plot writes a valid PNG (signature) and SVG (root element);
# a wrong extension is a usage error.  Exit 77 when built without plots.
# usage: test_plot.sh TSF HAVE_PLOTS(1|0) SRCDIR
set -u
TSF=$1
[ "$2" = 1 ] || { echo "skip: built without cairo plots"; exit 77; }
SRC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
DATA=$SRC/datasets/AirPassengers.csv
"$TSF" forecast -m 'ar(2)' --transform log -h 24 --plot "$T/a.png" "$DATA" >/dev/null || fail "png"
sig=$(od -An -tx1 -N8 "$T/a.png" | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] || fail "PNG signature: $sig"
[ "$(wc -c <"$T/a.png")" -gt 10000 ] || fail "PNG suspiciously small"
"$TSF" forecast -m 'ar(2)' -h 12 --level 50,80,99 --plot "$T/a.svg" "$DATA" >/dev/null || fail "svg"
grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$T/a.svg" || fail "no SVG root element"
tail -c 20 "$T/a.svg" | grep -q '</svg>' || fail "SVG not closed"
"$TSF" forecast -m 'ar(2)' -h 12 --plot "$T/a.gif" "$DATA" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "a .gif plot must be a usage error"
grep -q "must end in .svg or .png" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/a.gif" ] && fail "a file was written for a bad extension"
ls "$T" | grep -q tmp && fail "temp file left behind"
echo ok

#!/bin/sh
# Installs tsf into a temporary destdir and builds examples/embed.c with a
# plain `cc $(pkg-config --cflags --libs tsf)` against the INSTALLED headers,
# library and pkg-config file, then runs it: the public headers must be
# self-contained and the .pc file right.  Exit 77 (skip) without cc or
# pkg-config.
# usage: test_install.sh BUILDDIR SRCDIR [B_SANITIZE]
set -u
BUILD=$1
SRC=$2
# A sanitized library needs a sanitized program (the runtime comes first).
SAN=
case "${3:-none}" in none|'') ;; *) SAN="-fsanitize=$3" ;; esac
command -v pkg-config >/dev/null 2>&1 || { echo "skip: no pkg-config"; exit 77; }
command -v cc >/dev/null 2>&1 || { echo "skip: no cc"; exit 77; }
DEST=$(mktemp -d)
trap 'rm -rf "$DEST"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet >"$DEST/install.log" 2>&1 ||
    fail "meson install: $(tail -5 "$DEST/install.log")"
pc=$(find "$DEST" -name tsf.pc | head -n 1)
[ -n "$pc" ] || fail "no tsf.pc installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
# The .pc file names the real prefix; point it into the destdir.
PKG="pkg-config --define-variable=prefix=$DEST$prefix"
export PKG_CONFIG_PATH="$(dirname "$pc")"
cflags=$($PKG --cflags tsf) || fail "pkg-config --cflags tsf"
libs=$($PKG --libs tsf) || fail "pkg-config --libs tsf"
libdir=$($PKG --variable=libdir tsf)
[ -f "$($PKG --variable=includedir tsf)/tsf/tsf.h" ] || fail "tsf/tsf.h not installed"
# -lgsl: the example calls gsl_set_error_handler_off (docs/embedding.md).
cc -std=c11 -Wall -Wextra -Werror $SAN "$SRC/examples/embed.c" $cflags $libs -lgsl -lm -o "$DEST/embed" \
    2>"$DEST/cc.log" || fail "cc embed.c: $(cat "$DEST/cc.log")"
# The program must use the installed library, not one from the build tree.
LD_LIBRARY_PATH="$libdir" "$DEST/embed" >"$DEST/out" 2>&1 || fail "embed: $(cat "$DEST/out")"
LD_LIBRARY_PATH="$libdir" ldd "$DEST/embed" | grep -q "$DEST.*libtsf" || fail "not linked to the installed libtsf"
grep -q '^AR(2)' "$DEST/out" || fail "unexpected output: $(cat "$DEST/out")"
[ "$(grep -c '^ *[1-5] ' "$DEST/out")" -eq 5 ] || fail "expected 5 forecast steps: $(cat "$DEST/out")"
# The tsf program is installed too.
[ -x "$DEST$prefix/bin/tsf" ] || fail "bin/tsf not installed"
# And its manual page, tsf(1).
[ -n "$(find "$DEST" -path '*/man1/tsf.1*')" ] || fail "man page tsf.1 not installed"
echo ok

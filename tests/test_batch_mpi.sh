#!/bin/sh
# tsf batch under MPI: `mpirun -n 2` gives output identical to one process
# (wide and long input, with failing series).  Exits 77 (skipped) when tsf
# was built without MPI (meson -Dmpi=enabled) or mpirun is not installed.
# usage: test_batch_mpi.sh TSF HAVE_MPI(1|0) SRCDIR
set -u
TSF=$1
[ "$2" = 1 ] || { echo "skip: built without MPI (-Dmpi=enabled)"; exit 77; }
command -v mpirun >/dev/null 2>&1 || { echo "skip: no mpirun (Debian: openmpi-bin)"; exit 77; }
D=$3/tests/batch
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
MPIRUN="mpirun --allow-run-as-root --oversubscribe -n 2"

awk 'BEGIN { srand(11); print "id,time,value";
             for (s = 1; s <= 101; s++) { n = (s == 50) ? 1 : 30 + s % 40; x = 0;
               for (i = 0; i < n; i++) { x = 0.5 * x + rand() - 0.5;
                 printf "s%03d,%d-Q%d,%.5f\n", s, 1980 + int(i / 4), i % 4 + 1, 5 + x } } }' \
    >"$T/long.csv"
"$TSF" batch -m 'ar(1)' -h 4 --format long --threads 1 -o "$T/one.csv" --summary "$T/one.json" \
    "$T/long.csv" 2>/dev/null
rc1=$?
$MPIRUN "$TSF" batch -m 'ar(1)' -h 4 --format long --threads 1 -o "$T/two.csv" --summary "$T/two.json" "$T/long.csv" \
    >"$T/mpi.out" 2>&1
rc2=$?
[ $rc1 -eq 3 ] || fail "single process: exit $rc1, expected 3 (one series too short)"
[ $rc2 -ne 0 ] || fail "mpirun: exit 0, expected the failure status"
cmp -s "$T/one.csv" "$T/two.csv" || fail "long: 2 ranks differ from 1 process: $(cat "$T/mpi.out")"
# the summary too, but for the wall times of the fits
for f in one two; do sed 's/"fit_seconds":[0-9.e+-]*//' "$T/$f.json" >"$T/$f.sum"; done
cmp -s "$T/one.sum" "$T/two.sum" || fail "summary: 2 ranks differ from 1 process"
grep -q '"series": 101' "$T/two.sum" || fail "summary lacks series"
[ "$(grep -c 'could not be forecast' "$T/mpi.out")" -eq 1 ] || fail "rank 0 alone reports: $(cat "$T/mpi.out")"

"$TSF" batch -m 'ar(1)' -h 2 --threads 1 "$D/broken_wide.csv" >"$T/w1.csv" 2>/dev/null
$MPIRUN "$TSF" batch -m 'ar(1)' -h 2 --threads 1 "$D/broken_wide.csv" >"$T/w2.csv" 2>/dev/null
cmp -s "$T/w1.csv" "$T/w2.csv" || fail "wide to stdout: 2 ranks differ from 1 process"
echo ok

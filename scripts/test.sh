#!/usr/bin/env bash
# Builds tsf and runs the whole test suite twice: the normal build (build/)
# and an ASan+UBSan build (build-asan/).  Installs missing packages first.
# The last line is "N passed, N failed, N skipped" over both runs.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || {
    echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
ninja -C build-asan >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
passed=0; failed=0; skipped=0; status=0
for dir in build build-asan; do
  echo "== meson test ($dir)"
  # The sanitizer run skips suite 'truth' (long known-truth trainings, run
  # once in build/); the normal run includes everything, pytest ('python') too.
  skip=()
  [ "$dir" = build-asan ] && skip=(--no-suite truth)
  meson test -C "$dir" --print-errorlogs --num-processes 2 "${skip[@]}" || status=1
  log="$dir/meson-logs/testlog.json"
  if [ -f "$log" ]; then
    read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    try:
        r = json.loads(line).get("result")
    except ValueError:
        r = "UNREADABLE"
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
done
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status

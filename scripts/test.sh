#!/usr/bin/env bash
# Runs every test project, one after another (tests that use zfs-fuse share one daemon per machine),
# and ends with one summary line: "N passed, N failed, N skipped".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build Elsa.Migration.sln -c Release --nologo -v quiet -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
passed=0; failed=0; skipped=0; rc=0
filter=()
[[ $# -gt 0 ]] && filter=(--filter "$*")
for proj in tests/*/*.Tests.csproj; do
  log=$(mktemp)
  dotnet test "$proj" -c Release --no-build --nologo "${filter[@]}" --logger "console;verbosity=normal" 2>&1 | tee "$log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || rc=1
  # vstest's summary: "Total tests: N" then "     Passed: N" / "     Failed: N" / "    Skipped: N" (absent when 0).
  p=$(sed -nE 's/^ +Passed: +([0-9]+)$/\1/p' "$log" | tail -n 1)
  f=$(sed -nE 's/^ +Failed: +([0-9]+)$/\1/p' "$log" | tail -n 1)
  s=$(sed -nE 's/^ +Skipped: +([0-9]+)$/\1/p' "$log" | tail -n 1)
  if ! grep -qE '^Total tests: [0-9]+' "$log"; then
    # With a filter, a project may simply have no matching test; anything else without a summary is a crash.
    if ((${#filter[@]})) && grep -q 'No test matches the given testcase filter' "$log"; then :; else
      echo "test.sh: $proj printed no test summary (crashed?)" >&2; rc=1; failed=$((failed + 1))
    fi
  fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  rm -f "$log"
done
# A skipped test is not a pass: count it as a failure of the run.
((skipped == 0)) || rc=1
((failed == 0)) || rc=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc

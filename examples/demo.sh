#!/usr/bin/env bash
# A tour of release-action on a throwaway repository: runs every mode that exists by hand and
# prints its outputs and step summary. Usage: examples/demo.sh [path/to/release-action]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${1:-${RELEASE_ACTION_BIN:-$here/../target/release/release-action}}
if [ ! -x "$BIN" ]; then
  echo "demo: no binary at $BIN; build it first: cargo build --release" >&2
  exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export BIN WORK

# A person at a terminal: no GITHUB_OUTPUT, so outputs print as name=value (or JSON with --json)
# and the step summary prints to stderr.
unset GITHUB_OUTPUT GITHUB_STEP_SUMMARY GITHUB_ACTIONS

banner() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }

# Every run the tour makes is recorded as "what, exit code, expected exit code" in $RESULTS, and
# the tour ends with that table; it exits 1 when a run did not end as expected.
RESULTS=$WORK/results.tsv
: >"$RESULTS"
export RESULTS
# shellcheck disable=SC2317 # called by the sourced parts
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

banner "release-action --version"
"$BIN" --version

shopt -s nullglob
for part in "$here"/demo/*.sh; do
  banner "$(basename "$part" .sh)"
  # shellcheck source=/dev/null
  ( cd "$WORK" && source "$part" )
done
banner "results"
status=0
printf '%-58s %-5s %s\n' "run" "exit" "expected"
while IFS=$'\t' read -r what code want; do
  mark=""
  [ "$code" = "$want" ] || { mark="  <-- unexpected"; status=1; }
  printf '%-58s %-5s %s%s\n' "$what" "$code" "$want" "$mark"
done <"$RESULTS"
exit "$status"

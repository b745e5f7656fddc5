#!/usr/bin/env bash
# Runs sigstore-conformance's verification suite offline against release-action's verify-bundle:
#   bash scripts/sigstore-conformance-run.sh SNAPSHOT [PYTEST_ARGS...]
# SNAPSHOT is a checkout of github.com/sigstore/sigstore-conformance or a (bare) git directory of
# it. The suite is copied to a temp dir (nothing of it enters this repository), its Python
# requirements are installed from PyPI into a venv ($SIGSTORE_CONFORMANCE_VENV, else one under the
# temp dir), and pytest runs with --skip-signing, the offline-token plugin and
# scripts/sigstore-conformance as the entrypoint. The binary is $RELEASE_ACTION_BIN, else
# target/release/release-action. Prints the passed/failed/skipped counts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
snapshot=${1:?usage: $0 SNAPSHOT_DIR [pytest args]}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite=$work/suite
mkdir -p "$suite"
if git --git-dir="$snapshot" rev-parse --verify -q HEAD >/dev/null 2>&1 && [ ! -d "$snapshot/test" ]; then
  git --git-dir="$snapshot" archive HEAD | tar -x -C "$suite"
else
  cp -R "$snapshot"/. "$suite"/
fi
venv=${SIGSTORE_CONFORMANCE_VENV:-$work/venv}
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$suite/requirements.txt"
fi
export RELEASE_ACTION_BIN=${RELEASE_ACTION_BIN:-$root/target/release/release-action}
[ -x "$RELEASE_ACTION_BIN" ] || { echo "no binary at $RELEASE_ACTION_BIN (cargo build --release, or set RELEASE_ACTION_BIN)" >&2; exit 2; }
cd "$suite"
status=0
PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/pytest" test \
  -p sigstore_conformance_offline \
  --entrypoint="$root/scripts/sigstore-conformance" --skip-signing \
  -q -rfE -p no:cacheprovider "$@" | tee "$work/out.txt" || status=$?
counts=$(tail -n 1 "$work/out.txt")
echo "sigstore-conformance (offline, --skip-signing): $counts"
exit "$status"

#!/usr/bin/env bash
# Resolves the release-action binary for this runner and prints `path=<binary>` to $GITHUB_OUTPUT.
#
# Order: RELEASE_ACTION_BIN (tests and local runs) > build-from-source: true > the pinned release
# asset for RUNNER_OS/RUNNER_ARCH (dist/manifest.json; see the distribution section of the README).
set -euo pipefail

out() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'path=%s\n' "$1" >>"$GITHUB_OUTPUT"
  else
    printf 'path=%s\n' "$1"
  fi
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ -n "${RELEASE_ACTION_BIN:-}" ]; then
  if [ ! -x "$RELEASE_ACTION_BIN" ]; then
    echo "::error title=release-action binary not found::RELEASE_ACTION_BIN=$RELEASE_ACTION_BIN is not an executable file"
    exit 2
  fi
  echo "[resolve] using RELEASE_ACTION_BIN=$RELEASE_ACTION_BIN"
  out "$RELEASE_ACTION_BIN"
  exit 0
fi

if [ "${BUILD_FROM_SOURCE:-false}" = "true" ]; then
  echo "[resolve] building from source with cargo (build-from-source: true)"
  cargo build --release --locked --manifest-path "$here/../Cargo.toml" >&2
  out "$here/../target/release/release-action"
  exit 0
fi

echo "::error title=No release-action binary::this version of the action ships no prebuilt binary for ${RUNNER_OS:-unknown}/${RUNNER_ARCH:-unknown}; set build-from-source: true or RELEASE_ACTION_BIN"
exit 2

#!/usr/bin/env bash
# Packages one built binary as the release asset resolve.sh downloads for its platform:
#   release-action-<target>.tar.gz  (Linux, macOS)   or   release-action-<target>.zip  (Windows)
# with the binary at the top level, and prints "<asset path> <sha256>".
# Usage: scripts/package.sh <target-triple> <path/to/release-action[.exe]> <out-dir>
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 <target-triple> <binary> <out-dir>" >&2
  exit 2
fi
target=$1 bin=$2 out=$3
[ -f "$bin" ] || { echo "package: no binary at $bin" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum -b "$1" | cut -d' ' -f1; else shasum -a 256 -b "$1" | cut -d' ' -f1; fi
}

case "$target" in
  *-windows-*)
    cp "$bin" "$stage/release-action.exe"
    asset="$out/release-action-$target.zip"
    rm -f "$asset"
    if command -v 7z >/dev/null 2>&1; then
      (cd "$stage" && 7z a -tzip -bd "$asset" release-action.exe >/dev/null)
    elif command -v zip >/dev/null 2>&1; then
      (cd "$stage" && zip -q -X "$asset" release-action.exe)
    else
      echo "package: need 7z or zip to build $asset" >&2
      exit 2
    fi
    ;;
  *)
    cp "$bin" "$stage/release-action"
    chmod 755 "$stage/release-action"
    asset="$out/release-action-$target.tar.gz"
    tar -czf "$asset" -C "$stage" release-action
    ;;
esac
printf '%s %s\n' "$asset" "$(sha256_of "$asset")"

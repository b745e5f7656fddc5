#!/usr/bin/env bash
# Builds release-action with the release profile and prints the stripped binary's size and its size
# with gzip -9 (what a download costs); fails when it is above 12 MiB stripped or 3 MiB gzipped
# (issue #25).
# Not part of scripts/test.sh: an lto build takes minutes.
# Usage: scripts/binary-size.sh [target-triple]
#   default target: x86_64-unknown-linux-musl when that target is installed (what releases ship
#   for Linux X64), else the host.
set -euo pipefail
cd "$(dirname "$0")/.."

limit=$((12 * 1024 * 1024))
gzip_limit=$((3 * 1024 * 1024))
target=${1:-}
if [ -z "$target" ] && rustup target list --installed 2>/dev/null | grep -qx 'x86_64-unknown-linux-musl'; then
  target=x86_64-unknown-linux-musl
fi
target_dir=${CARGO_TARGET_DIR:-target}
if [ -n "$target" ]; then
  cargo build --release --locked --target "$target" >&2
  bin="$target_dir/$target/release/release-action"
else
  cargo build --release --locked >&2
  bin="$target_dir/release/release-action"
  target="host ($(rustc -vV | sed -n 's/^host: //p'))"
fi
[ -f "$bin" ] || bin="$bin.exe"

# The release profile strips already (strip = true); strip a copy again to measure what ships
# even if a toolchain ignored the setting.
copy=$(mktemp)
trap 'rm -f "$copy"' EXIT
cp "$bin" "$copy"
if command -v strip >/dev/null 2>&1; then strip "$copy" 2>/dev/null || true; fi
size=$(wc -c <"$copy" | tr -d ' ')
gz=$(gzip -9 -c "$copy" | wc -c | tr -d ' ')
mib=$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1048576 }')
gz_mib=$(awk -v s="$gz" 'BEGIN { printf "%.2f", s / 1048576 }')
echo "release-action $target: $size bytes ($mib MiB) stripped, limit 12 MiB; $gz bytes ($gz_mib MiB) with gzip -9, limit 3 MiB"
if [ "$size" -gt "$limit" ]; then
  echo "::error title=Binary too large::the stripped release binary is $mib MiB, above the 12 MiB limit"
  exit 1
fi
if [ "$gz" -gt "$gzip_limit" ]; then
  echo "::error title=Binary too large::the release binary is $gz_mib MiB with gzip -9, above the 3 MiB limit"
  exit 1
fi

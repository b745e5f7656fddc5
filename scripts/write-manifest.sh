#!/usr/bin/env bash
# Writes dist/manifest.json (to stdout): the binary version and, per runner platform, the asset URL,
# its sha256 and the sha256 of the binary inside it (resolve.sh checks a cached binary against that
# on every cache hit), computed from the assets in <asset-dir>. A platform whose asset is not in the
# directory gets "sha256": null and "binary_sha256": null (resolve.sh refuses it); "published" is true only when all five
# are there. One asset per line: resolve.sh reads the file line by line, with no JSON tool.
# Usage: scripts/write-manifest.sh <version> <base-url> <asset-dir> > dist/manifest.json
#   base-url: https://github.com/ameideio/release-action/releases/download/v<version> for a release
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 <version> <base-url> <asset-dir>" >&2
  exit 2
fi
version=$1 base=${2%/} dir=$3

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum -b "$1" | cut -d' ' -f1; else shasum -a 256 -b "$1" | cut -d' ' -f1; fi
}

# The sha256 of the binary at the top level of an asset (what resolve.sh runs).
binary_sha256_of() {
  local asset=$1 stage
  stage=$(mktemp -d)
  case "$asset" in
    *.zip) unzip -q -o "$asset" release-action.exe -d "$stage" && sha256_of "$stage/release-action.exe" ;;
    *) tar -xzf "$asset" -C "$stage" release-action && sha256_of "$stage/release-action" ;;
  esac
  rm -rf "$stage"
}

# Runner platform (RUNNER_OS-RUNNER_ARCH) and the file built for it.
platforms="Linux-X64:release-action-x86_64-unknown-linux-musl.tar.gz
Linux-ARM64:release-action-aarch64-unknown-linux-musl.tar.gz
macOS-X64:release-action-x86_64-apple-darwin.tar.gz
macOS-ARM64:release-action-aarch64-apple-darwin.tar.gz
Windows-X64:release-action-x86_64-pc-windows-msvc.zip"

entries=""
published=true
n=0
while IFS=: read -r platform file; do
  n=$((n + 1))
  if [ -f "$dir/$file" ]; then
    sha="\"$(sha256_of "$dir/$file")\""
    bin_sha="\"$(binary_sha256_of "$dir/$file")\""
  else
    sha=null
    bin_sha=null
    published=false
  fi
  sep=","
  [ "$n" -eq 5 ] && sep=""
  entries="$entries    \"$platform\": { \"url\": \"$base/$file\", \"sha256\": $sha, \"binary_sha256\": $bin_sha }$sep
"
done <<<"$platforms"

printf '{\n  "version": "%s",\n  "published": %s,\n  "assets": {\n%s  }\n}\n' "$version" "$published" "$entries"

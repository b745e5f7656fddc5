# shellcheck shell=bash
# version-guard by hand. Sourced by examples/demo.sh with $BIN (the binary) and $WORK (a
# throwaway directory). Builds a tiny repository with fixed commit times, so the versions printed
# are the same on every run.

vg_repo="$WORK/version-guard-demo"
rm -rf "$vg_repo"
mkdir -p "$vg_repo"
vg_git() {
  GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
    GIT_AUTHOR_NAME=Demo GIT_AUTHOR_EMAIL=demo@example.com \
    GIT_COMMITTER_NAME=Demo GIT_COMMITTER_EMAIL=demo@example.com \
    git -C "$vg_repo" "$@"
}
vg_commit() {
  echo "$1" > "$vg_repo/file.txt"
  vg_git add -A
  GIT_AUTHOR_DATE="@$2 +0000" GIT_COMMITTER_DATE="@$2 +0000" vg_git commit -q -m "$1"
}
# Runs the mode on a ref, ignoring any CI variables of the shell running the demo.
vg_run() {
  local ref="$1"; shift
  (cd "$vg_repo" && env -u GITHUB_SHA -u GITHUB_EVENT_NAME -u GITHUB_EVENT_PATH -u GITHUB_OUTPUT \
    -u GITHUB_STEP_SUMMARY -u GITHUB_ACTIONS -u SOURCE_DATE_EPOCH -u AMEIDE_TS_SDK_VERSION \
    -u AMEIDE_PYTHON_SDK_VERSION -u AMEIDE_SDK_VERSION -u AMEIDE_GO_SDK_VERSION -u GO_SDK_VERSION \
    GITHUB_REF="$ref" "$BIN" version-guard --json "$@")
}
vg_git init -q -b main
vg_commit "first release" 1704164645
vg_git tag v0.11.0
vg_commit "work after the release" 1704168245

vg_record() { local what=$1 want=$2; shift 2; local code=0; vg_run "$@" || code=$?; record "version-guard: $what" "$code" "$want"; }

echo "== version-guard on main (a snapshot after v0.11.0)"
vg_record "main, snapshot after v0.11.0" 0 refs/heads/main

echo "== version-guard on main with base-version 0.12.0"
vg_record "main, base-version 0.12.0" 0 refs/heads/main --base-version 0.12.0

vg_git tag v0.12.0-rc.1
echo "== version-guard on the tag v0.12.0-rc.1 (a prerelease)"
vg_record "tag v0.12.0-rc.1 (prerelease)" 0 refs/tags/v0.12.0-rc.1

vg_git tag v0.10.5
echo "== version-guard on the tag v0.10.5 (below v0.11.0: refused, exit 1)"
vg_record "tag v0.10.5, below v0.11.0 (refused)" 1 refs/tags/v0.10.5

# shellcheck shell=bash
# channel-tags by hand: image tags and OCI labels for a branch build and for a release tag.
# Sourced by examples/demo.sh with $BIN (the release-action binary) and $WORK (a throwaway dir).

ct_repo="$WORK/channel-tags-repo"
rm -rf "$ct_repo"
mkdir -p "$ct_repo"
ct_git() {
  # A fixed identity and fixed dates: the same commit sha, tags and labels on every run.
  GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
    GIT_AUTHOR_NAME=Demo GIT_AUTHOR_EMAIL=demo@example.com \
    GIT_COMMITTER_NAME=Demo GIT_COMMITTER_EMAIL=demo@example.com \
    GIT_AUTHOR_DATE="@1704164645 +0000" GIT_COMMITTER_DATE="@1704164645 +0000" \
    git -C "$ct_repo" "$@"
}
ct_git init -q -b main
echo demo >"$ct_repo/README"
ct_git add README
ct_git commit -q -m "first"
ct_git tag v1.9.0
ct_git tag v2.0.1
ct_git tag v1.9.1

ct_run() {
  # Outside a workflow: no GITHUB_OUTPUT, so the outputs are printed (--json); logs go to stderr.
  (cd "$ct_repo" && env -u GITHUB_OUTPUT -u GITHUB_STEP_SUMMARY -u GITHUB_ACTIONS \
    GITHUB_REPOSITORY=org/app GITHUB_SERVER_URL=https://github.com RUNNER_TEMP="$WORK" \
    "$BIN" channel-tags --json --images ghcr.io/org/app "$@" 2>/dev/null)
}

echo "== channel-tags on refs/heads/main (latest + sha tag)"
code=0; GITHUB_REF=refs/heads/main ct_run || code=$?
record "channel-tags: main" "$code" 0

echo "== channel-tags on refs/tags/v1.9.1 with v2.0.1 released: 1.9.1, 1.9, 1, but never latest"
code=0; GITHUB_REF=refs/tags/v1.9.1 ct_run --channel-tags 'release={version},{major}.{minor},{major},latest' || code=$?
record "channel-tags: tag v1.9.1 below v2.0.1 (no latest)" "$code" 0

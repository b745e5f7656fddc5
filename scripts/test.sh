#!/usr/bin/env bash
# The project's whole test suite: formatting, lints, unit and integration tests (real git, node,
# pnpm, pip, go and act runs), and the workflow linters over action.yml and examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project-local tools from scripts/install-tools.sh come first on PATH.
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings

step "shellcheck"
shellcheck -x dist/*.sh scripts/*.sh examples/*.sh examples/demo/*.sh

shopt -s nullglob
examples=(examples/workflows/*.yml tests/e2e/workflows/call-*.yml)
in_place=(tests/e2e/workflows/chain.yml tests/e2e/workflows/per-mode.yml .github/workflows/*.yml)
workflows=("${examples[@]}" "${in_place[@]}")
shopt -u nullglob

step "actionlint"
actionlint "${in_place[@]}"
# The example workflows (and the e2e callers of them) are meant to be copied into a repository's .github/workflows/ (GitHub
# runs reusable workflows only from there), so they are linted in that layout.
user_repo=$(mktemp -d)
trap 'rm -rf "$user_repo"' EXIT
mkdir -p "$user_repo/.github/workflows"
cp "${examples[@]}" "$user_repo/.github/workflows/"
(cd "$user_repo" && git init -q && actionlint)

step "zizmor --offline"
zizmor --offline --no-progress --config .github/zizmor.yml action.yml ./*/action.yml "${workflows[@]}"

step "cargo test"
cargo test --no-fail-fast 2>&1 | tee target/test-output.txt
grep -E '^test result:' target/test-output.txt | awk '{p+=$4; f+=$6} END {printf "\n%d passed, %d failed\n", p, f}'

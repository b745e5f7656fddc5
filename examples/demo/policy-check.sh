# shellcheck shell=bash
# policy-check demo: a tiny repository whose service imports generated proto code directly and
# whose .npmrc resolves the @ameideio scope from the public registry. Sourced by
# examples/demo.sh with $BIN (the release-action binary) and $WORK (a throwaway directory).

demo_repo="$WORK/policy-check-demo"
mkdir -p "$demo_repo/.github" "$demo_repo/services/api"

cat > "$demo_repo/.github/release-policy.yml" <<'POLICY'
version: 1
rules:
  - id: no-direct-proto
    kind: forbidden-imports
    severity: error
    message: Services use @ameideio/sdk, never the generated proto package.
    from: ["services/**"]
    to: ["@ameideio/ameide-core-proto*"]
  - id: ameide-from-github
    kind: allowed-registries
    severity: error
    message: "@ameideio packages come from GitHub Packages only."
    hosts: [npm.pkg.github.com]
    packages: ["@ameideio/*"]
  - id: no-pnpm-init-y
    kind: forbidden-patterns
    severity: warning
    message: pnpm init -y writes an unpinned manifest; copy the template instead.
    patterns: ['pnpm init -y']
waivers:
  - rule: no-direct-proto
    paths: ["services/api/legacy.ts"]
    reason: Legacy adapter, removed in v2.
    expires: 2099-12-31
POLICY

cat > "$demo_repo/services/api/index.ts" <<'TS'
import { Client } from "@ameideio/sdk";
import { Envelope } from "@ameideio/ameide-core-proto/gen/envelope";
TS
cat > "$demo_repo/services/api/legacy.ts" <<'TS'
import { Envelope } from "@ameideio/ameide-core-proto/gen/envelope";
TS
printf '@ameideio:registry=https://registry.npmjs.org/\n' > "$demo_repo/.npmrc"
printf '#!/bin/sh\npnpm init -y\n' > "$demo_repo/setup.sh"

echo "\$ release-action policy-check --format text"
# The report is on stdout; progress logs (with timings) go to stderr and are left out here.
demo_status=0
(cd "$demo_repo" && RELEASE_ACTION_TODAY=2025-01-01 "$BIN" policy-check --format text 2>/dev/null) || demo_status=$?
echo "exit code: $demo_status (1: an error-severity violation)"
record "policy-check: a forbidden import (violation found)" "$demo_status" 1

# shellcheck shell=bash
# smoke-install demo: packs a tiny npm package by hand and smoke-installs it offline with pnpm.
# Sourced by examples/demo.sh with $BIN (the release-action binary) and $WORK (a throwaway dir).
smoke_dir="$WORK/smoke-install"
mkdir -p "$smoke_dir/src/package/dist"
cat >"$smoke_dir/src/package/package.json" <<'JSON'
{
  "name": "@demo/sdk",
  "version": "1.4.0",
  "type": "module",
  "exports": {
    ".": { "import": "./dist/index.js", "require": "./dist/index.cjs" },
    "./proto.js": "./dist/proto.js"
  }
}
JSON
echo 'export const hello = () => "hi";' >"$smoke_dir/src/package/dist/index.js"
echo 'exports.hello = () => "hi";' >"$smoke_dir/src/package/dist/index.cjs"
echo 'export const proto = 1;' >"$smoke_dir/src/package/dist/proto.js"
tar -C "$smoke_dir/src" -czf "$smoke_dir/demo-sdk-1.4.0.tgz" package

echo "== smoke-install: $smoke_dir/demo-sdk-1.4.0.tgz at 1.4.0"
(
  cd "$smoke_dir" &&
    RUNNER_TEMP="$smoke_dir" "$BIN" smoke-install \
      --packages '*.tgz' \
      --expected-version 1.4.0
) || echo "smoke-install exited $?"

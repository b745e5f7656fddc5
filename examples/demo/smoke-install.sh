# shellcheck shell=bash
# smoke-install demo: packs a tiny npm package by hand and smoke-installs it offline, with pnpm
# when it is installed (scripts/install-tools.sh provides it) and with npm, which ships with Node,
# when it is not: the tour needs nothing that `cargo build --release` and Node do not provide.
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

smoke_pm=pnpm
if ! command -v pnpm >/dev/null 2>&1; then
  smoke_pm=npm
  echo "(pnpm is not installed, so this tour uses package-manager: npm; the action's default is pnpm)"
fi
echo "== smoke-install: $smoke_dir/demo-sdk-1.4.0.tgz at 1.4.0 with $smoke_pm"
code=0
(
  cd "$smoke_dir" &&
    RUNNER_TEMP="$smoke_dir" "$BIN" smoke-install \
      --packages '*.tgz' \
      --package-manager "$smoke_pm" \
      --expected-version 1.4.0
) || code=$?
record "smoke-install: an npm tarball with $smoke_pm" "$code" 0

# shellcheck shell=bash
# publish-check demo: a release job's re-run, against a tiny npm registry that Node serves on
# 127.0.0.1 (a packument per package, as a registry answers GET /<name>): first the tarball is
# absent, then "published" (the packument lists it with its sha512), then rebuilt with other bytes
# under the same version, then the registry is down. A crate is checked against the same server as
# a sparse index, and a Go module directory against an empty file:// GOPROXY, on the way. Needs only Node, like the rest of the tour.
# Sourced by examples/demo.sh with $BIN (the release-action binary) and $WORK (a throwaway dir).
pc_dir="$WORK/publish-check"
mkdir -p "$pc_dir/src/package" "$pc_dir/registry" "$pc_dir/goproxy" "$pc_dir/dist"

pack() { # pack <index.js text>: dist/demo-hello-1.0.0.tgz
  echo '{ "name": "@demo/hello", "version": "1.0.0", "main": "index.js" }' >"$pc_dir/src/package/package.json"
  echo "$1" >"$pc_dir/src/package/index.js"
  tar -C "$pc_dir/src" -czf "$pc_dir/dist/demo-hello-1.0.0.tgz" package
}
pack 'exports.hello = () => "hi";'

# The registry: GET /@demo%2fhello answers registry/packument.json, or 404 until it exists.
node -e '
  const http = require("http"), fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  http.createServer((req, res) => {
    const file = path.join(dir, "packument.json");
    if (req.url.toLowerCase() === "/@demo%2fhello" && fs.existsSync(file)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(fs.readFileSync(file));
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end("{\"error\":\"not found\"}");
    }
  }).listen(0, "127.0.0.1", function () {
    fs.writeFileSync(path.join(dir, "port"), String(this.address().port));
  });
' "$pc_dir/registry" &
pc_registry_pid=$!
for _ in $(seq 1 50); do [ -s "$pc_dir/registry/port" ] && break; sleep 0.1; done
pc_registry="http://127.0.0.1:$(cat "$pc_dir/registry/port")"

pc_run() { # pc_run <what> <expected exit> [extra flags…]
  local what=$1 want=$2 code=0
  shift 2
  echo "== publish-check: $what"
  (
    cd "$pc_dir" &&
      RUNNER_TEMP="$pc_dir" "$BIN" publish-check --packages 'dist/*.tgz' \
        --npm-registry "$pc_registry" --retries 0 --timeout 5 "$@"
  ) || code=$?
  record "publish-check: $what" "$code" "$want"
}

pc_run "a first release: the tarball is absent" 0

# "npm publish": the registry now lists 1.0.0 with the tarball's sha512.
node -e '
  const fs = require("fs"), crypto = require("crypto");
  const [tgz, out] = process.argv.slice(1);
  const integrity = "sha512-" + crypto.createHash("sha512").update(fs.readFileSync(tgz)).digest("base64");
  fs.writeFileSync(out, JSON.stringify({ name: "@demo/hello", "dist-tags": { latest: "1.0.0" },
    versions: { "1.0.0": { name: "@demo/hello", version: "1.0.0",
      dist: { integrity, tarball: "http://127.0.0.1/@demo/hello/-/hello-1.0.0.tgz" } } } }));
' "$pc_dir/dist/demo-hello-1.0.0.tgz" "$pc_dir/registry/packument.json"
pc_run "the re-run: identical, nothing to publish" 0

pack 'exports.hello = () => "hello";'
pc_run "other bytes under the same version: different" 1

# A crate (a .crate is a gzipped tarball of <name>-<version>/ with its Cargo.toml) against the same
# server as a sparse index: it has no index file for the crate (404), so the crate is absent.
mkdir -p "$pc_dir/crate/demo-hello-1.0.0/src"
printf '[package]\nname = "demo-hello"\nversion = "1.0.0"\n' >"$pc_dir/crate/demo-hello-1.0.0/Cargo.toml"
printf 'pub fn hello() -> &'"'"'static str { "hi" }\n' >"$pc_dir/crate/demo-hello-1.0.0/src/lib.rs"
tar -C "$pc_dir/crate" -czf "$pc_dir/dist/demo-hello-1.0.0.crate" demo-hello-1.0.0
echo "== publish-check: a crate against a sparse index that does not list it"
code=0
(
  cd "$pc_dir" &&
    RUNNER_TEMP="$pc_dir" "$BIN" publish-check --packages 'dist/*.crate' \
      --cargo-index "sparse+$pc_registry/" --retries 0 --timeout 5
) || code=$?
record "publish-check: a crate not yet in the index" "$code" 0

kill "$pc_registry_pid" 2>/dev/null || true
wait "$pc_registry_pid" 2>/dev/null || true
pc_run "the registry is down: never taken as absent" 2

mkdir -p "$pc_dir/mod"
printf 'module example.com/demo/hello\n\ngo 1.19\n' >"$pc_dir/mod/go.mod"
printf 'package hello\n\nfunc Hello() string { return "hi" }\n' >"$pc_dir/mod/hello.go"
echo "== publish-check: a Go module directory against an empty file:// GOPROXY"
code=0
(
  cd "$pc_dir" &&
    RUNNER_TEMP="$pc_dir" "$BIN" publish-check --packages mod --go-version v1.0.0 \
      --goproxy "file://$pc_dir/goproxy"
) || code=$?
record "publish-check: a Go module not yet on the GOPROXY" "$code" 0

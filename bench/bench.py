#!/usr/bin/env python3
"""Benchmarks release-action against the cost of the work itself.

Each case builds its own data under a temp dir, runs release-action and a baseline (git, rg,
pnpm + node by hand) alternately in the same run, and prints medians, the ratio and peak memory.
Nothing here runs inside `cargo test`. Usage:

    cargo build --release && python3 bench/bench.py [--runs 7] [--only NAME] [--files 100000]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("RELEASE_ACTION_BIN", ROOT / "target/release/release-action"))


TIME = shutil.which("time") and Path("/usr/bin/time")


def run_once(cmd, cwd, env):
    """Wall time (s) and peak RSS (MiB) of one run; fails loudly on a non-zero exit.

    Peak RSS is /usr/bin/time's (the largest of the command and the processes it waits for, e.g.
    git): `wait4` from Python would report at least Python's own size, which the child has
    before it calls exec. Without /usr/bin/time, that upper bound is reported."""
    rss_file = None
    if TIME and TIME.exists():
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = [str(TIME), "-f", "%M", "-o", rss_file, *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{cmd[0]} exited {code}:\n{stderr[-2000:]}")
    peak = usage.ru_maxrss / 1024
    if rss_file:
        text = Path(rss_file).read_text().strip().splitlines()
        os.unlink(rss_file)
        peak = int(text[-1]) / 1024
    return elapsed, peak


def measure(name, ours, baseline, cwd, env, runs, target=None, budget=None):
    ours_t, base_t, ours_mem, base_mem = [], [], [], []
    run_once(ours, cwd, env)  # warm the page cache for both
    run_once(baseline, cwd, env)
    for _ in range(runs):
        t, m = run_once(ours, cwd, env)
        ours_t.append(t)
        ours_mem.append(m)
        t, m = run_once(baseline, cwd, env)
        base_t.append(t)
        base_mem.append(m)
    o, b = statistics.median(ours_t), statistics.median(base_t)
    row = {
        "case": name,
        "release_action_s": round(o, 4),
        "baseline_s": round(b, 4),
        "ratio": round(o / b, 2) if b > 0 else None,
        "extra_ms": round((o - b) * 1000, 1),
        "peak_mib": round(max(ours_mem), 1),
        "baseline_peak_mib": round(max(base_mem), 1),
        "target": target or "",
    }
    verdict = ""
    if budget is not None:
        verdict = "ok" if budget(row) else "MISSED"
    row["verdict"] = verdict
    return row


def git(cwd, *args, env=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def base_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_"))}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    return env


def case_version_guard(tmp, runs, tags):
    repo = tmp / "tags-repo"
    repo.mkdir()
    env = base_env()
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "commit", "-q", "--allow-empty", "-m", "c", env=env)
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=repo, env=env, text=True).strip()
    # Tags as packed refs: one file, the way a fetched repository keeps thousands of tags.
    lines = [f"{head} refs/tags/v{i // 100}.{i % 100}.{j}" for i in range(tags // 10) for j in range(10)]
    (repo / ".git/packed-refs").write_text("# pack-refs with: peeled fully-peeled sorted \n" + "\n".join(sorted(lines)) + "\n")
    env.update(GITHUB_REF="refs/heads/main", GITHUB_SHA=head)
    ours = [str(BIN), "version-guard", "--tags-from", "git"]
    # The issue's baseline lists tags with git's default format, which reads every tag's object;
    # the stricter one lists names only, the least any tool must do. Both are reported.
    return [
        measure(
            f"version-guard, {tags} tags vs git for-each-ref refs/tags",
            ours, ["git", "for-each-ref", "refs/tags"], repo, env, runs,
            target="<= 1.5x git, < 50 ms beyond git",
            budget=lambda r: r["ratio"] <= 1.5 and r["extra_ms"] < 50,
        ),
        measure(
            f"version-guard, {tags} tags vs git for-each-ref --format=%(refname)",
            ours, ["git", "for-each-ref", "--format=%(refname)", "refs/tags"], repo, env, runs,
            target="<= 1.5x git (names only, issue #25)",
            budget=lambda r: r["ratio"] <= 1.5,
        ),
    ]


def case_startup(tmp, runs):
    return measure(
        "release-action --version",
        [str(BIN), "--version"],
        ["git", "--version"],
        tmp, base_env(), runs,
        target="a few ms (git --version as the floor)",
        budget=lambda r: r["release_action_s"] < 0.01,
    )


TS_OK = "import {{ client }} from '@ameideio/sdk';\nexport const x{n} = client;\n"
TS_BAD = "import {{ Msg }} from '@ameideio/ameide-core-proto/gen';\nexport const y{n} = Msg;\n"
PY_OK = "from ameide_sdk import client\n\nVALUE_{n} = client\n"
PY_BAD = "from ameide_core_proto.v1 import msg_pb2\n\nVALUE_{n} = msg_pb2\n"
GO_OK = 'package svc{d}\n\nimport (\n\t"fmt"\n\t"example.com/sdk/go"\n)\n\nvar V{n} = fmt.Sprint(sdk.X)\n'
PROTO = 'syntax = "proto3";\npackage p{n};\nimport "google/protobuf/timestamp.proto";\n'

POLICY = """\
rules:
  - id: no-generated-proto-in-services
    kind: forbidden-imports
    severity: error
    message: Services import the SDK, never generated proto code.
    from: ["services/**"]
    to: ["@ameideio/ameide-core-proto*", "ameide_core_proto", "ameide_core_proto.*"]
"""


def make_monorepo(root, files):
    """A monorepo of `files` source files, about 1 in 200 violating the import rule."""
    kinds = [("ts", TS_OK, TS_BAD), ("py", PY_OK, PY_BAD), ("go", GO_OK, GO_OK), ("proto", PROTO, PROTO)]
    for n in range(files):
        ext, ok, bad = kinds[n % len(kinds)]
        d = root / "services" / f"svc{n % 500}" / f"pkg{(n // 500) % 20}"
        d.mkdir(parents=True, exist_ok=True)
        text = (bad if n % 200 == 0 else ok).format(n=n, d=n % 500)
        (d / f"f{n}.{ext}").write_text(text)
    (root / ".github").mkdir()
    (root / ".github/release-policy.yml").write_text(POLICY)


# The rule's patterns as rg takes them: the import regex (what the rule matches on), and the
# same words as fixed strings (the least any search must do).
RG_REGEX = ["rg", "-n", "--no-messages", r"(@ameideio/ameide-core-proto|ameide_core_proto)", "."]
RG_FIXED = ["rg", "-n", "--no-messages", "-F", "-e", "@ameideio/ameide-core-proto", "-e", "ameide_core_proto", "."]

# A checkout's usual ignore rules, and untracked files (build output, ignored or not).
GITIGNORE = "node_modules/\n*.log\ndist/\n"


def make_checkout(repo, files):
    """The monorepo as a committed git checkout, with a .gitignore, an ignored build directory
    and a few untracked files, as a CI job sees it after a build."""
    make_monorepo(repo, files)
    (repo / ".gitignore").write_text(GITIGNORE)
    env = base_env()
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", "c", env=env)
    for n in range(50):
        d = repo / "services" / f"svc{n}" / "dist"
        d.mkdir(parents=True, exist_ok=True)
        (d / "bundle.js").write_text(TS_BAD.format(n=n))
        (repo / "services" / f"svc{n}" / f"untracked{n}.ts").write_text(TS_OK.format(n=n))
    return env


def case_policy(tmp, runs, files):
    if not shutil.which("rg"):
        raise SystemExit("rg (ripgrep) is needed as the baseline: apt-get install ripgrep")
    rows = []
    ours = [str(BIN), "policy-check", "--format", "json"]
    target = "<= 1.2x rg, peak RSS near 10 MiB (issue #25)"
    budget = lambda r: r["ratio"] <= 1.2 and r["peak_mib"] <= 16
    plain = tmp / "monorepo"
    plain.mkdir()
    make_monorepo(plain, files)
    checkout = tmp / "checkout"
    checkout.mkdir()
    make_checkout(checkout, files)
    for where, repo in (("plain directory", plain), ("git checkout", checkout)):
        for baseline, name in ((RG_REGEX, "rg on the import regex"), (RG_FIXED, "rg -F on the same words")):
            rows.append(measure(
                f"policy-check, {files} files, {where}, vs {name}",
                ours, baseline, repo, base_env(), runs, target=target, budget=budget,
            ))
    return rows


def case_smoke_npm(tmp, runs):
    pkg = tmp / "npm-pkg"
    (pkg / "dist").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({
        "name": "@bench/sdk", "version": "1.2.3", "type": "module",
        "exports": {".": "./dist/index.js"}, "main": "./dist/index.js",
    }))
    (pkg / "dist/index.js").write_text("export const hello = 1;\n")
    subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(tmp)], cwd=pkg, check=True, stdout=subprocess.DEVNULL)
    tgz = tmp / "bench-sdk-1.2.3.tgz"
    by_hand = tmp / "by-hand.sh"
    by_hand.write_text(
        "set -e\nd=$(mktemp -d)\ncd \"$d\"\n"
        "printf '{\"name\":\"consumer\",\"private\":true,\"type\":\"module\"}' > package.json\n"
        "printf 'registry=http://127.0.0.1:9/\\n' > .npmrc\n"
        f"pnpm add --offline file:{tgz} >/dev/null\n"
        "node -e \"import('@bench/sdk').then(m => { if (!m.hello) process.exit(1) })\"\n"
        "cd /; rm -rf \"$d\"\n"
    )
    # smoke-install gives pnpm a fresh HOME (empty store, no cached registry metadata) so that a
    # warm cache cannot hide a missing dependency; the second baseline does the same by hand.
    isolated = tmp / "by-hand-isolated.sh"
    isolated.write_text(by_hand.read_text().replace(
        "cd \"$d\"\n", "export HOME=\"$d/home\"; mkdir -p \"$HOME\"\ncd \"$d\"\n", 1))
    ours = [str(BIN), "smoke-install", "--packages", str(tgz), "--expected-version", "1.2.3"]
    return [
        measure(
            "smoke-install, one npm tarball vs pnpm add + node by hand (warm store)",
            ours, ["bash", str(by_hand)], tmp, base_env(), runs,
            # Not a target: unequal work (smoke-install's fresh HOME and store against a warm
            # one), shown for scale. Issue 25's comparison is the same isolation, the next row.
            target="none: unequal isolation, for scale",
        ),
        measure(
            "smoke-install, one npm tarball vs the same by hand with a fresh HOME",
            ours, ["bash", str(isolated)], tmp, base_env(), runs,
            target="< 10% over by hand",
            budget=lambda r: r["ratio"] <= 1.10,
        ),
    ]


# docker/metadata-action's time on the same tag push, as issue #18 states it (measured side by side
# there, not here: the peer's node_modules cannot be fetched in this environment).
METADATA_ACTION_MS_FROM_ISSUE = 961.0

# The configuration of metadata-action's README example (semver tags, branch, pr, sha).
METADATA_TAGS = """\
type=schedule
type=ref,event=branch
type=ref,event=pr
type=semver,pattern={{version}}
type=semver,pattern={{major}}.{{minor}}
type=semver,pattern={{major}}
type=sha
"""


def case_channel_tags_metadata(tmp, runs, tags):
    """channel-tags with a metadata-action configuration on a tag push, in a clone with `tags`
    release tags (floating tags decided against them), against the issue's 961 ms."""
    repo = tmp / "image-repo"
    repo.mkdir()
    env = base_env()
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "commit", "-q", "--allow-empty", "-m", "c", env=env)
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=repo, env=env, text=True).strip()
    lines = [f"{head} refs/tags/v{i // 100}.{i % 100}.{j}" for i in range(tags // 10) for j in range(10)]
    (repo / ".git/packed-refs").write_text("# pack-refs with: peeled fully-peeled sorted \n" + "\n".join(sorted(lines)) + "\n")
    top = f"v{(tags // 10 - 1) // 100}.{(tags // 10 - 1) % 100}.9"
    payload = tmp / "event.json"
    payload.write_text(json.dumps({"ref": f"refs/tags/{top}", "repository": {
        "name": "app", "html_url": "https://github.com/org/app", "description": "An app",
        "license": {"spdx_id": "MIT"}, "default_branch": "main"}}))
    out = tmp / "github_output"
    env.update(GITHUB_REF=f"refs/tags/{top}", GITHUB_SHA=head, GITHUB_EVENT_NAME="push",
               GITHUB_EVENT_PATH=str(payload), GITHUB_REPOSITORY="org/app", RUNNER_TEMP=str(tmp),
               GITHUB_OUTPUT=str(out), GITHUB_ENV=str(tmp / "github_env"), GITHUB_ACTIONS="true")
    env["INPUT_IMAGES"] = "ghcr.io/org/app"
    env["INPUT_TAGS"] = METADATA_TAGS
    cmd = [str(BIN), "channel-tags"]
    run_once(cmd, repo, env)
    times = [run_once(cmd, repo, env) for _ in range(runs)]
    t = statistics.median(x[0] for x in times)
    got = out.read_text()
    if f"ghcr.io/org/app:{top[1:]}" not in got or "ghcr.io/org/app:latest" not in got:
        raise SystemExit(f"unexpected channel-tags outputs:\n{got[-2000:]}")
    return {
        "case": f"channel-tags, metadata-action config, tag push, {tags} tags vs metadata-action (961 ms from issue #18, not measured here)",
        "release_action_s": round(t, 4),
        "baseline_s": METADATA_ACTION_MS_FROM_ISSUE / 1000,
        "ratio": round(t * 1000 / METADATA_ACTION_MS_FROM_ISSUE, 3),
        "extra_ms": round(t * 1000 - METADATA_ACTION_MS_FROM_ISSUE, 1),
        "peak_mib": round(max(x[1] for x in times), 1),
        "target": "< 0.05x metadata-action",
        "verdict": "ok" if t * 1000 < 0.05 * METADATA_ACTION_MS_FROM_ISSUE else "MISSED",
    }


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, proc, what):
    import urllib.error
    import urllib.request
    for _ in range(1800):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited before it was ready")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url}")


def case_publish_check(tmp, runs):
    """publish-check of one npm tarball, one wheel, one Go module and one crate, each already
    published, against asking the same four questions by hand."""
    import hashlib
    import io
    import tarfile
    import urllib.request
    import zipfile
    verdaccio_bin = ROOT / "tests/tools/verdaccio/node_modules/verdaccio/bin/verdaccio"
    if not verdaccio_bin.exists():
        raise SystemExit("Verdaccio is not installed: npm ci --prefix tests/tools/verdaccio")
    servers = []
    try:
        # Verdaccio (npm) with no uplinks, publishing for any logged-in user.
        npm_port = free_port()
        (tmp / "verdaccio").mkdir()
        config = tmp / "verdaccio/config.yaml"
        config.write_text(
            f"storage: {tmp}/verdaccio/storage\n"
            f"auth:\n  htpasswd:\n    file: {tmp}/verdaccio/htpasswd\n"
            "uplinks: {}\npackages:\n  '**':\n    access: $all\n    publish: $authenticated\n"
            "web:\n  enable: false\nlog: { type: stdout, format: pretty, level: warn }\n")
        servers.append(subprocess.Popen(
            ["node", str(verdaccio_bin), "--config", str(config), "--listen", f"127.0.0.1:{npm_port}"],
            env={**base_env(), "HOME": str(tmp / "verdaccio")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        npm_registry = f"http://127.0.0.1:{npm_port}"
        wait_for(f"{npm_registry}/-/ping", servers[-1], "verdaccio")
        request = urllib.request.Request(
            f"{npm_registry}/-/user/org.couchdb.user:bench", method="PUT",
            data=json.dumps({"name": "bench", "password": "bench-pass-1"}).encode(),
            headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(request))["token"]
        pkg = tmp / "npm-pkg"
        pkg.mkdir()
        (pkg / "package.json").write_text(json.dumps({"name": "@bench/sdk", "version": "1.2.3", "main": "index.js"}))
        (pkg / "index.js").write_text("exports.hello = 1;\n")
        dist = tmp / "dist"
        dist.mkdir()
        npm_env = {**base_env(), "HOME": str(tmp / "npm-home")}
        subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(dist)], cwd=pkg, check=True,
                       stdout=subprocess.DEVNULL, env=npm_env)
        npmrc = tmp / "npmrc"
        npmrc.write_text(f"//127.0.0.1:{npm_port}/:_authToken={token}\n")
        subprocess.run(["npm", "publish", "--registry", npm_registry, "--userconfig", str(npmrc),
                        "--", str(dist / "bench-sdk-1.2.3.tgz")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=npm_env)

        # pypiserver (PyPI) serving the wheel.
        wheel = dist / "bench_pkg-1.2.3-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr("bench_pkg/__init__.py", "hello = 1\n")
            z.writestr("bench_pkg-1.2.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: bench-pkg\nVersion: 1.2.3\n")
            z.writestr("bench_pkg-1.2.3.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            z.writestr("bench_pkg-1.2.3.dist-info/RECORD", "")
        index_dir = tmp / "pypi"
        index_dir.mkdir()
        shutil.copy(wheel, index_dir)
        pypi_port = free_port()
        servers.append(subprocess.Popen(
            ["python3", "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(pypi_port), "-a", ".", "-P", ".",
             "--disable-fallback", str(index_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        pypi_index = f"http://127.0.0.1:{pypi_port}/simple/"
        wait_for(pypi_index, servers[-1], "pypiserver")

        # A file:// GOPROXY serving the module, laid out as the proxy protocol has it.
        module = tmp / "mod"
        module.mkdir()
        go_mod = "module example.com/bench\n\ngo 1.19\n"
        (module / "go.mod").write_text(go_mod)
        (module / "bench.go").write_text("package bench\n\nconst Hello = 1\n")
        at_v = tmp / "goproxy/example.com/bench/@v"
        at_v.mkdir(parents=True)
        (at_v / "list").write_text("v1.2.3\n")
        (at_v / "v1.2.3.info").write_text('{"Version":"v1.2.3","Time":"2026-01-02T03:04:05Z"}')
        (at_v / "v1.2.3.mod").write_text(go_mod)
        with zipfile.ZipFile(at_v / "v1.2.3.zip", "w") as z:
            for name in ("go.mod", "bench.go"):
                z.writestr(f"example.com/bench@v1.2.3/{name}", (module / name).read_text())
        goproxy = f"file://{tmp}/goproxy"

        # A sparse Cargo index over HTTP listing the crate with its sha256 cksum.
        crate = dist / "bench-crate-1.2.3.crate"
        with tarfile.open(crate, "w:gz") as t:
            for name, text in (("Cargo.toml", '[package]\nname = "bench-crate"\nversion = "1.2.3"\n'),
                               ("src/lib.rs", "pub const HELLO: u32 = 1;\n")):
                info = tarfile.TarInfo(f"bench-crate-1.2.3/{name}")
                info.size = len(text.encode())
                t.addfile(info, io.BytesIO(text.encode()))
        cksum = hashlib.sha256(crate.read_bytes()).hexdigest()
        index_root = tmp / "cargo-index"
        (index_root / "be/nc").mkdir(parents=True)
        (index_root / "config.json").write_text('{"dl": "http://127.0.0.1:9/{crate}/{version}/download"}')
        (index_root / "be/nc/bench-crate").write_text(json.dumps(
            {"name": "bench-crate", "vers": "1.2.3", "deps": [], "cksum": cksum, "features": {}},
            separators=(",", ":")) + "\n")
        cargo_port = free_port()
        servers.append(subprocess.Popen(
            ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(index_root), str(cargo_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cargo_index = f"http://127.0.0.1:{cargo_port}/"
        wait_for(f"{cargo_index}config.json", servers[-1], "the sparse index")

        ours = [str(BIN), "publish-check", "--packages",
                f"{dist}/bench-sdk-1.2.3.tgz,{wheel},{module},{crate}",
                "--npm-registry", npm_registry, "--pypi-index", pypi_index,
                "--goproxy", goproxy, "--go-version", "v1.2.3", "--cargo-index", f"sparse+{cargo_index}"]
        by_hand = tmp / "by-hand.sh"
        by_hand.write_text(
            "set -e\nd=$(mktemp -d)\n"
            f"npm view --json --registry {npm_registry} --cache \"$d/npm\" @bench/sdk@1.2.3 dist.integrity >/dev/null\n"
            f"python3 -m pip download --no-deps --no-cache-dir --quiet --index-url {pypi_index} -d \"$d/pip\" bench-pkg==1.2.3\n"
            f"GOPROXY={goproxy} GOSUMDB=off GOFLAGS=-mod=mod GOMODCACHE=\"$d/mod\" GOPATH=\"$d/gopath\" "
            "go mod download -json example.com/bench@v1.2.3 >/dev/null\n"
            # cargo has no command that asks an index for one version's cksum: the index file and
            # the local file's sha256, compared.
            f"test \"$(curl -fsS {cargo_index}be/nc/bench-crate | grep -o '\"cksum\":\"[0-9a-f]*' | cut -d'\"' -f4)\" "
            f"= \"$(sha256sum {crate} | cut -d' ' -f1)\"\n"
            "chmod -R u+w \"$d\"; rm -rf \"$d\"\n")
        # The by-hand questions must all be answered (measure() also accepts exit 1).
        subprocess.run(["bash", str(by_hand)], cwd=tmp, env=base_env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        row = measure(
            "publish-check, an npm tarball + a wheel + a Go module + a crate (all identical) vs npm view + pip download + go mod download + the sparse index file by curl and sha256sum",
            ours, ["bash", str(by_hand)], tmp, base_env(), runs,
            target="faster than by hand",
            budget=lambda r: r["ratio"] <= 1.0,
        )
        # The check must have decided "identical" for all four, or the timing means nothing.
        out = subprocess.run(ours + ["--json"], cwd=tmp, env=base_env(), capture_output=True, text=True)
        states = [r["state"] for r in json.loads(json.loads(out.stdout)["results"])]
        if states != ["identical"] * 4:
            raise SystemExit(f"publish-check decided {states}, not identical:\n{out.stderr}")
        return row
    finally:
        for proc in servers:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", default="")
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--tags", type=int, default=10_000)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    if not BIN.exists():
        raise SystemExit(f"no binary at {BIN}: cargo build --release")
    cases = {
        "startup": lambda t: case_startup(t, args.runs),
        "version-guard": lambda t: case_version_guard(t, args.runs, args.tags),
        "policy-check": lambda t: case_policy(t, args.runs, args.files),
        "smoke-install": lambda t: case_smoke_npm(t, args.runs),
        "channel-tags-metadata": lambda t: case_channel_tags_metadata(t, args.runs, 1000),
        "publish-check": lambda t: case_publish_check(t, args.runs),
    }
    rows = []
    for name, case in cases.items():
        if args.only and name != args.only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            print(f"... {name}", file=sys.stderr, flush=True)
            result = case(Path(tmp))
            rows.extend(result if isinstance(result, list) else [result])
    size = BIN.stat().st_size / (1024 * 1024)
    import gzip
    gz = len(gzip.compress(BIN.read_bytes(), compresslevel=9)) / (1024 * 1024)
    print(f"\nbinary: {BIN} ({size:.2f} MiB), {os.cpu_count()} cores, median of {args.runs} runs\n")
    print(f"shipped asset: {gz:.2f} MiB with gzip -9, target <= 3 MiB: {'ok' if gz <= 3 else 'MISSED'}\n")
    print("| case | release-action | baseline | ratio | extra | peak RSS | baseline's peak RSS | target | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['release_action_s']*1000:.1f} ms | {r['baseline_s']*1000:.1f} ms | "
              f"{r['ratio']}x | {r['extra_ms']} ms | {r['peak_mib']} MiB | {r.get('baseline_peak_mib', '')} MiB | "
              f"{r['target']} | {r['verdict']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"binary_mib": round(size, 2), "gzip_mib": round(gz, 2), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

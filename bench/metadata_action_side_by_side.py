#!/usr/bin/env python3
"""docker/metadata-action's own bundle and channel-tags, side by side, on every case of its tests.

Runs each of the 131 cases of the peer's `__tests__/meta.test.ts` (transcribed, with their own
inputs, in tests/fixtures/metadata-action/cases.jsonl) twice with the same runner environment:
once through the peer's bundled `dist/index.cjs` on node, once through release-action with no
`mode` (the peer's step with only its `uses:` line changed). It compares every output and every
`DOCKER_METADATA_OUTPUT_*` variable of the two (bake files by their content), and each side with the
peer's expected results. Then it times both on the same refs.

The peer's code is not part of this repository and no npm package carries its bundle: point the
script at a checkout of docker/metadata-action (commit dc802804 is the one the cases were
transcribed from):

    cargo build --release
    python3 bench/metadata_action_side_by_side.py --peer /path/to/metadata-action/dist/index.cjs \
        [--runs 5] [--bin target/release/release-action] [--json result.json]

(or set RELEASE_ACTION_PEER_METADATA_ACTION to the bundle's path). Exit 0 only if all 131 cases
give identical outputs on both sides and both match the peer's expectations.

What the harness supplies, as the peer's own test does (and nothing else):
- a local stand-in for the REST API on 127.0.0.1 (GITHUB_API_URL): the repository the default
  labels are made of (the peer's `repo.json` facts), no tags, and 422 for a commit's date;
- the clock, fixed at 2020-01-10T00:30:00Z: for the peer a `--require` preload that fixes `Date`
  (its test mocks the clock the same way), for release-action SOURCE_DATE_EPOCH.
Network stays on 127.0.0.1: HTTP(S)_PROXY variables are not passed on.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests/fixtures/metadata-action"
BIN = Path(os.environ.get("RELEASE_ACTION_BIN", ROOT / "target/release/release-action"))

TOKEN = "ghs_side_by_side_token"
REPOSITORY = "docker/test-docker-action"
CLOCK_ISO = "2020-01-10T00:30:00.000Z"
CLOCK_EPOCH = "1578616200"
# dist/index.cjs of docker/metadata-action at dc802804100637a589fabce1cb79ff13a1411302.
PEER_SHA256 = "91b260f14a7be217e6b9145845f957ba35278448b8333bb6c82348dfe0e35694"

# The repository the peer's test serves from its API mock (its repo.json): what the default
# labels are made of.
REPO_FACTS = {
    "id": 1296269,
    "name": "Hello-World",
    "full_name": "octocat/Hello-World",
    "html_url": "https://github.com/octocat/Hello-World",
    "description": "This your first repo!",
    "default_branch": "master",
    "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
}

CLOCK_PRELOAD = """\
// Fixes the clock at %s, as the peer's test does with its mocks.
const FIXED = Date.parse('%s');
const RealDate = Date;
class FixedDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(FIXED); else super(...args); }
  static now() { return FIXED; }
}
globalThis.Date = FixedDate;
""" % (CLOCK_ISO, CLOCK_ISO)

BAKE_OUTPUTS = ("bake-file", "bake-file-tags", "bake-file-labels", "bake-file-annotations")


class Api:
    """The REST API stand-in: GET /repos/{REPOSITORY}, its tags (none), its commits (422)."""

    def __init__(self):
        self.requests = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server name)
                api.requests.append(self.path)
                path = self.path.split("?")[0]
                base = f"/repos/{REPOSITORY}"
                if self.headers.get("Authorization", "").split()[-1:] != [TOKEN]:
                    code, body = 401, {"message": "Bad credentials"}
                elif path == base:
                    code, body = 200, REPO_FACTS
                elif path in (f"{base}/tags", f"{base}/releases"):
                    code, body = 200, []
                elif path.startswith(f"{base}/commits/"):
                    code, body = 422, {"message": "No commit found for SHA: " + path.rsplit("/", 1)[1]}
                else:
                    code, body = 404, {"message": "Not Found"}
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def parse_file_commands(text):
    """GITHUB_OUTPUT / GITHUB_ENV by the runner's rules: `name=value` or `name<<DELIM` ... DELIM."""
    values, lines, i = {}, text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        h, e = line.find("<<"), line.find("=")
        if h >= 0 and (e < 0 or h < e):
            name, delim, body = line[:h], line[h + 2:], []
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            i += 1
            values[name] = "\n".join(body)
        else:
            values[line[:e]] = line[e + 1:]
    return values


def row_env(row, api):
    """The runner's environment for one case: event facts, the case's variables and inputs."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(GITHUB_ACTIONS="true", GITHUB_API_URL=api.url, SOURCE_DATE_EPOCH=CLOCK_EPOCH)
    event = row["event"]
    for line in (FIXTURES / f"events/{event}.env").read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    payload = FIXTURES / f"events/{event}.json"
    if payload.exists():
        env["GITHUB_EVENT_PATH"] = str(payload)
    env.update(row.get("env") or {})
    # The runner passes every input the action declares; the peer's action.yml gives `context`
    # and `github-token` defaults, the others are empty when a step does not set them.
    inputs = {"context": "workflow", "github-token": TOKEN}
    inputs.update(row["inputs"])
    for name, value in inputs.items():
        env["INPUT_" + name.replace(" ", "_").upper()] = value
    return env


def run_side(cmd, env, work, cwd=None):
    """Runs one side in a fresh RUNNER_TEMP; returns its time, exit code, outputs and variables."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    files = {"GITHUB_OUTPUT": work / "output", "GITHUB_ENV": work / "env", "GITHUB_STEP_SUMMARY": work / "summary"}
    for path in files.values():
        path.write_text("")
    env = dict(env, RUNNER_TEMP=str(work), **{k: str(v) for k, v in files.items()})
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd or work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "code": proc.returncode,
        "log": proc.stdout.decode(errors="replace"),
        "outputs": parse_file_commands(files["GITHUB_OUTPUT"].read_text()),
        "env": parse_file_commands(files["GITHUB_ENV"].read_text()),
    }


def content(name, value):
    """A comparable form of an output: bake files by their JSON, `json` parsed, others as is."""
    if name in BAKE_OUTPUTS or name.startswith("DOCKER_METADATA_OUTPUT_BAKE_FILE"):
        try:
            return json.loads(Path(value).read_text())
        except (OSError, ValueError) as e:
            return f"<unreadable bake file {value}: {e}>"
    if name in ("json", "DOCKER_METADATA_OUTPUT_JSON"):
        try:
            return json.loads(value)
        except ValueError as e:
            return f"<invalid JSON: {e}>"
    return value


def side_by_side(peer, ours):
    """Every output and DOCKER_METADATA_OUTPUT_* variable that differs between the two sides."""
    diffs = []
    if peer["code"] != 0 or ours["code"] != 0:
        return [f"exit codes: peer {peer['code']}, ours {ours['code']}"]
    for kind in ("outputs", "env"):
        names = sorted(set(peer[kind]) | set(ours[kind]))
        for name in names:
            if kind == "env" and not name.startswith("DOCKER_METADATA_OUTPUT_"):
                continue
            theirs = content(name, peer[kind][name]) if name in peer[kind] else "<absent>"
            mine = content(name, ours[kind][name]) if name in ours[kind] else "<absent>"
            if theirs != mine:
                diffs.append(f"{kind} {name}: peer {json.dumps(theirs)} / ours {json.dumps(mine)}")
    return diffs


def lines(text):
    return text.split("\n") if text else []


def against_expectations(row, side):
    """The differences between one side's outputs and the peer's expected results for the case."""
    if side["code"] != 0:
        return [f"exit {side['code']}"]
    out, expect, diffs = side["outputs"], row["expect"], []
    levels = (row.get("env") or {}).get("DOCKER_METADATA_ANNOTATIONS_LEVELS", "manifest").split(",")

    def check(what, got, want):
        if got != want:
            diffs.append(f"{what}: got {json.dumps(got)} / expected {json.dumps(want)}")

    if "version" in expect:
        check("version", out.get("version"), expect["version"])
    if isinstance(expect.get("tags"), str):
        check("tags", out.get("tags"), expect["tags"])
    elif "tags" in expect:
        check("tags", lines(out.get("tags", "")), expect["tags"])
    if "labels" in expect:
        check("labels", lines(out.get("labels", "")), expect["labels"])
    if isinstance(expect.get("annotations"), list):
        want = [f"{level}:{a}" for level in levels for a in expect["annotations"]]
        check("annotations", lines(out.get("annotations", "")), want)
    if "json" in expect:
        check("json", content("json", out.get("json", "")), expect["json"])
    for name in BAKE_OUTPUTS:
        if name in expect:
            check(name, content(name, out.get(name, "")), expect[name])
    return diffs


def compare_all(rows, peer_cmd, ours_cmd, api, tmp, runs):
    """Runs every case on both sides, `runs` times alternately; returns one result per case."""
    results = []
    for row in rows:
        key = f"{row['table']}/{row['name']}"
        env = row_env(row, api)
        peer_t, ours_t = [], []
        for n in range(runs):
            peer = run_side(peer_cmd, env, tmp / "peer")
            ours = run_side(ours_cmd, env, tmp / "ours")
            peer_t.append(peer["seconds"])
            ours_t.append(ours["seconds"])
            if n == 0:
                diffs = side_by_side(peer, ours)
                peer_vs_expect = against_expectations(row, peer)
                ours_vs_expect = against_expectations(row, ours)
        results.append({
            "case": key,
            "defaults": "tags" not in row["inputs"] and "flavor" not in row["inputs"],
            "identical": not diffs,
            "differences": diffs,
            "peer_vs_expected": peer_vs_expect,
            "ours_vs_expected": ours_vs_expect,
            "peer_s": statistics.median(peer_t),
            "ours_s": statistics.median(ours_t),
        })
    return results


def timed(cmd, env, work, runs, cwd):
    times = []
    for _ in range(runs):
        side = run_side(cmd, env, work, cwd)
        if side["code"] != 0:
            raise SystemExit(f"{cmd[-1]} exited {side['code']}:\n{side['log'][-2000:]}")
        times.append(side["seconds"])
    return statistics.median(times), side


SEMVER_RULES = "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}"


def checkout(tmp):
    """A clone as actions/checkout leaves it with `fetch-depth: 0`: a commit tagged v1.1.1 on master.
    channel-tags' own form reads the existing releases from it; metadata-action needs none."""
    repo = tmp / "checkout"
    repo.mkdir()
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_AUTHOR_NAME="b",
               GIT_AUTHOR_EMAIL="b@e", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@e")
    for args in (["init", "-q", "-b", "master"], ["commit", "-q", "--allow-empty", "-m", "one"], ["tag", "v1.1.1"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
    return repo, head


def same_ref(peer_cmd, ours_cmd, api, tmp, runs):
    """A tag push of v1.1.1 and a push to master, in a checkout: the peer, channel-tags with no
    `mode` and the same inputs, and channel-tags' own form (`mode: channel-tags`, only `images`)."""
    repo, head = checkout(tmp)
    rows = []
    for event, tags in (("tag_v1.1.1", SEMVER_RULES), ("push_master", "type=ref,event=branch\ntype=sha")):
        metadata = {"event": event, "inputs": {"images": "ghcr.io/acme/app", "tags": tags}}
        own = {"event": event, "inputs": {"images": "ghcr.io/acme/app", "mode": "channel-tags"}}
        menv, oenv = row_env(metadata, api), row_env(own, api)
        menv["GITHUB_SHA"] = oenv["GITHUB_SHA"] = head
        timed(peer_cmd, menv, tmp / "warm", 1, repo)  # warm the page cache for every side
        timed(ours_cmd, oenv, tmp / "warm", 1, repo)
        p, peer = timed(peer_cmd, menv, tmp / "peer", runs, repo)
        m, ours = timed(ours_cmd, menv, tmp / "ours", runs, repo)
        o, own_side = timed(ours_cmd, oenv, tmp / "own", runs, repo)
        rows.append({
            "ref": event,
            "peer_s": p,
            "no_mode_s": m,
            "own_form_s": o,
            "peer_tags": lines(peer["outputs"].get("tags", "")),
            "no_mode_tags": lines(ours["outputs"].get("tags", "")),
            "own_form_tags": lines(own_side["outputs"].get("tags", "")),
        })
    return rows


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def report(results, refs, peer_path, node):
    total = len(results)
    identical = sum(r["identical"] for r in results)
    defaults = [r for r in results if r["defaults"]]
    peer_ok = sum(not r["peer_vs_expected"] for r in results)
    ours_ok = sum(not r["ours_vs_expected"] for r in results)
    print(f"peer bundle: {peer_path} (node {node})")
    print(f"release-action: {BIN}")
    print(f"identical outputs side by side: {identical} / {total} "
          f"({sum(r['identical'] for r in defaults)} / {len(defaults)} of the cases with no `tags`/`flavor`)")
    print(f"peer's bundle matches its own expectations: {peer_ok} / {total}")
    print(f"release-action matches the peer's expectations: {ours_ok} / {total}")
    for r in results:
        for what in ("differences", "peer_vs_expected", "ours_vs_expected"):
            if r[what]:
                print(f"  {r['case']} {what}:\n    " + "\n    ".join(r[what]))
    peer_sum = sum(r["peer_s"] for r in results)
    ours_sum = sum(r["ours_s"] for r in results)
    peer_med = statistics.median(r["peer_s"] for r in results)
    ours_med = statistics.median(r["ours_s"] for r in results)
    print(f"all {total} cases: peer {ms(peer_sum)}, release-action {ms(ours_sum)} "
          f"(per case median {ms(peer_med)} vs {ms(ours_med)}; ratio {ours_sum / peer_sum:.3f})")
    for r in refs:
        print(f"{r['ref']}: peer {ms(r['peer_s'])}; no mode {ms(r['no_mode_s'])} "
              f"({r['no_mode_s'] / r['peer_s']:.3f}x); mode: channel-tags {ms(r['own_form_s'])} "
              f"({r['own_form_s'] / r['peer_s']:.3f}x)")
        print(f"  tags: peer {r['peer_tags']}; no mode {r['no_mode_tags']}; own form {r['own_form_tags']}")
    return identical == total and peer_ok == total and ours_ok == total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peer", default=os.environ.get("RELEASE_ACTION_PEER_METADATA_ACTION"),
                        help="path to docker/metadata-action's dist/index.cjs "
                             "(default: $RELEASE_ACTION_PEER_METADATA_ACTION)")
    parser.add_argument("--bin", default=str(BIN), help="the release-action binary")
    parser.add_argument("--node", default="node")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side per case (median)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", help="only the cases whose `table/name` contains this")
    args = parser.parse_args()
    if not args.peer:
        raise SystemExit("give --peer PATH or RELEASE_ACTION_PEER_METADATA_ACTION: the path to "
                         "docker/metadata-action's dist/index.cjs")
    peer_path = Path(args.peer).resolve()
    if not peer_path.is_file():
        raise SystemExit(f"--peer {peer_path}: no such file")
    globals()["BIN"] = Path(args.bin).resolve()
    if not BIN.is_file():
        raise SystemExit(f"{BIN}: no such file (cargo build --release, or give --bin)")
    digest = hashlib.sha256(peer_path.read_bytes()).hexdigest()
    if digest != PEER_SHA256:
        print(f"note: {peer_path} is not the bundle of dc802804 (sha256 {digest}); "
              "cases.jsonl was transcribed from that commit's tests", file=sys.stderr)
    node = subprocess.run([args.node, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    rows = [json.loads(l) for l in (FIXTURES / "cases.jsonl").read_text().splitlines() if l.strip()]
    if len(rows) != 131:
        raise SystemExit(f"cases.jsonl has {len(rows)} cases, not the peer's 131")
    if args.only:
        rows = [r for r in rows if args.only in f"{r['table']}/{r['name']}"]
    api = Api()
    try:
        with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp:
            tmp = Path(tmp)
            preload = tmp / "fixed-clock.cjs"
            preload.write_text(CLOCK_PRELOAD)
            peer_cmd = [args.node, "--require", str(preload), str(peer_path)]
            ours_cmd = [str(BIN)]
            results = compare_all(rows, peer_cmd, ours_cmd, api, tmp, args.runs)
            refs = same_ref(peer_cmd, ours_cmd, api, tmp, max(args.runs, 5))
    finally:
        api.close()
    ok = report(results, refs, peer_path, node)
    if args.json:
        Path(args.json).write_text(json.dumps({"node": node, "peer_sha256": digest, "cases": results,
                                               "same_ref": refs}, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

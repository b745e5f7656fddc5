//! The one place that speaks the GitHub Actions runner protocol: inputs, outputs, the step
//! summary, workflow commands (annotations, groups, masks) and logs. Modes never print or write
//! these files themselves; they call a [`Runner`].

pub mod commands;
pub mod confine;
pub mod env;
pub mod inputs;
pub mod outputs;
pub mod sandbox;
pub mod secrets;
pub mod summary;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::error::{Failure, Kind, Result};
pub use commands::{Annotation, Level};
pub use env::RunEnv;
pub use summary::Summary;

static GIT_PROCESSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts a git process (git.rs calls it for each one it starts): each costs a few milliseconds,
/// most of version-guard's time, so every phase's log says how many it started.
pub fn count_git_process() {
    GIT_PROCESSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

fn git_processes_spawned() -> usize {
    GIT_PROCESSES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Input and environment names whose values are secrets: masked before anything is printed.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_uppercase().replace('-', "_");
    ["TOKEN", "PASSWORD", "SECRET"]
        .iter()
        .any(|s| upper.contains(s))
}

/// Environment variables that hold credentials even though no input names them.
pub const SECRET_ENV: &[&str] = &["NODE_AUTH_TOKEN", "PKG_GITHUB_COM_TOKEN", "GITHUB_TOKEN"];

pub struct Runner {
    mode: &'static str,
    /// Inside a workflow (`GITHUB_ACTIONS=true`): workflow commands and logs go to stdout, where
    /// the runner reads them. By hand they go to stderr so stdout carries only the outputs.
    in_actions: bool,
    debug: bool,
    json: bool,
    output_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
    env_file: Option<PathBuf>,
    env: RunEnv,
    outputs: outputs::Outputs,
    /// Variables for later steps (`$GITHUB_ENV`), written with the outputs.
    exported: outputs::Outputs,
    summary: Summary,
    phase: RefCell<Option<String>>,
    annotations: RefCell<Vec<(Level, Annotation)>>,
}

impl Runner {
    /// A runner for `mode`, reading `GITHUB_*`/`RUNNER_DEBUG` from the environment.
    pub fn from_env(mode: &'static str, json: bool) -> Self {
        let path = |name: &str| {
            env::os_value(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Runner {
            mode,
            in_actions: env::string("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
            debug: env::string("RUNNER_DEBUG").is_some_and(|v| v == "1"),
            json,
            output_file: path("GITHUB_OUTPUT"),
            summary_file: path("GITHUB_STEP_SUMMARY"),
            env_file: path("GITHUB_ENV"),
            env: RunEnv::from_process(),
            outputs: outputs::Outputs::default(),
            exported: outputs::Outputs::default(),
            summary: Summary::default(),
            phase: RefCell::new(None),
            annotations: RefCell::new(Vec::new()),
        }
    }

    pub fn mode(&self) -> &'static str {
        self.mode
    }

    pub fn in_actions(&self) -> bool {
        self.in_actions
    }

    /// What the runner's variables say about the run: the one way a mode learns them.
    pub fn env(&self) -> &RunEnv {
        &self.env
    }

    /// Whether outputs go to a `GITHUB_OUTPUT` file (else to stdout, when run by hand).
    pub fn writes_output_file(&self) -> bool {
        self.output_file.is_some()
    }

    /// Masks every secret in the environment (secret-named inputs, known credential variables)
    /// before anything else is printed.
    pub fn mask_environment_secrets(&self) {
        for (name, value) in env::utf8_vars() {
            let is_input_secret = name.starts_with("INPUT_") && is_secret_name(&name);
            if is_input_secret || SECRET_ENV.contains(&name.as_str()) {
                self.mask(value.trim());
            }
        }
    }

    /// Writes a line where the runner reads commands (stdout in a workflow, stderr by hand).
    pub fn emit(&self, line: &str) {
        if self.in_actions {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        } else {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{line}");
        }
    }

    /// Masks a secret in the job log. Only inside a workflow: at a terminal, printing the mask
    /// command would print the secret.
    pub fn mask(&self, secret: &str) {
        if self.in_actions {
            for line in commands::mask_commands(secret) {
                self.emit(&line);
            }
        }
    }

    fn prefix(&self) -> String {
        match &*self.phase.borrow() {
            Some(phase) => format!("[{}:{}]", self.mode, phase),
            None => format!("[{}]", self.mode),
        }
    }

    /// A log line, prefixed `[<mode>:<phase>]`. Every line of the message (a bare CR starts one
    /// for the runner, as LF does) carries the prefix, so none can be read as a command.
    pub fn log(&self, message: &str) {
        let prefix = self.prefix();
        for line in commands::neutralise(message.trim_end_matches(['\r', '\n'])).split('\n') {
            self.emit(&format!("{prefix} {line}"));
        }
    }

    /// A report that owns stdout (`--format text|json|sarif`), with every line neutralised: file
    /// names and matched text in it come from the repository.
    pub fn print_report(&self, text: &str) {
        let mut text = commands::neutralise(text);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
    }

    /// A `::debug::` line, only with `RUNNER_DEBUG=1`.
    pub fn debug(&self, message: &str) {
        if self.debug {
            let text = format!("{} {message}", self.prefix());
            self.emit(&commands::command("debug", &[], &text));
        }
    }

    /// An annotation, printed now and remembered for the summary: a workflow command under
    /// GitHub Actions, plain text at a terminal (`error: Title: message`, its lines as they are).
    pub fn annotate(&self, level: Level, annotation: Annotation) {
        if self.in_actions {
            self.emit(&annotation.to_command(level));
        } else {
            let mut text = format!("{}: ", level.as_str());
            if let Some(title) = &annotation.title {
                text.push_str(&format!("{title}: "));
            }
            if let Some(file) = &annotation.file {
                let line = annotation.line.map(|l| format!(":{l}")).unwrap_or_default();
                text.push_str(&format!("{file}{line}: "));
            }
            text.push_str(&annotation.message);
            self.emit(&commands::neutralise(&text));
        }
        self.annotations.borrow_mut().push((level, annotation));
    }

    pub fn warning(&self, message: &str) {
        self.annotate(Level::Warning, Annotation::new(message));
    }

    pub fn notice(&self, message: &str) {
        self.annotate(Level::Notice, Annotation::new(message));
    }

    /// Annotations emitted so far.
    pub fn annotations(&self) -> Vec<(Level, Annotation)> {
        self.annotations.borrow().clone()
    }

    /// Runs one phase in a collapsible `::group::` and logs its duration. Groups cannot nest in the
    /// runner's log, so an inner phase only changes the prefix.
    pub fn phase<T>(&mut self, name: &str, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let outer = self.phase.replace(Some(name.to_string()));
        let grouped = outer.is_none() && self.in_actions;
        if grouped {
            self.emit(&commands::command(
                "group",
                &[],
                &format!("[{}:{}]", self.mode, name),
            ));
        }
        let start = Instant::now();
        let spawned = git_processes_spawned();
        let result = f(self);
        let took = start.elapsed().as_secs_f64();
        let status = if result.is_ok() { "" } else { " (failed)" };
        let processes = git_processes_spawned() - spawned;
        self.log(&format!(
            "took {took:.2}s{status} ({:.1} ms, {processes} git process{})",
            took * 1000.0,
            if processes == 1 { "" } else { "es" }
        ));
        if grouped {
            self.emit("::endgroup::");
        }
        self.phase.replace(outer);
        result
    }

    /// Sets a step output (written when the run ends).
    pub fn set_output(&mut self, name: &str, value: impl Into<String>) {
        self.outputs.set(name, value);
    }

    /// Sets an environment variable for the job's later steps (`$GITHUB_ENV`, in the same
    /// heredoc form with a fresh delimiter as outputs), written when the run ends. Without
    /// `GITHUB_ENV` (by hand) it is not written anywhere.
    pub fn export_variable(&mut self, name: &str, value: impl Into<String>) {
        self.exported.set(name, value);
    }

    pub fn output(&self, name: &str) -> Option<&str> {
        self.outputs.get(name)
    }

    pub fn summary(&mut self) -> &mut Summary {
        &mut self.summary
    }

    /// Ends the run: reports a failure (annotation and a summary section first), writes outputs
    /// and the summary, and returns the exit code.
    ///
    /// Outputs are written on success and on a guard failure (the run completed and its outputs are
    /// what it decided), never after a usage error, which may have stopped half-way.
    pub fn finish(mut self, result: Result<()>) -> i32 {
        let code = match &result {
            Ok(()) => 0,
            Err(failure) => {
                self.report_failure(failure);
                failure.exit_code()
            }
        };
        let write_outputs = !matches!(&result, Err(f) if f.kind == Kind::Usage);
        let mut code = code;
        if write_outputs {
            if let Err(e) = self.flush_outputs() {
                self.report_failure(&e);
                code = 2;
            }
        }
        if let Err(e) = self.flush_summary() {
            self.annotate(Level::Error, Annotation::new(e.to_string()));
            code = 2;
        }
        code
    }

    fn report_failure(&mut self, failure: &Failure) {
        let mut message = failure.message.clone();
        if let Some(fix) = &failure.fix {
            message.push_str(&format!("\nFix: {fix}"));
        }
        let mut annotation = Annotation::new(message).title(failure.title.clone());
        if let Some(loc) = &failure.location {
            annotation.file = Some(loc.file.clone());
            annotation.line = loc.line;
            annotation.col = loc.col;
        }
        self.annotate(Level::Error, annotation);
        let mut section = Summary::default();
        // Exit 1 or 2, the step failed: ❌ either way (⚠️ would read as "only a warning").
        section.heading(
            2,
            &format!("❌ {}: {}", self.mode, summary::text(&failure.title)),
        );
        let said = failure.summary_message.as_ref().unwrap_or(&failure.message);
        section.paragraph(&summary::text(said));
        if let Some(fix) = &failure.fix {
            section.paragraph(&format!("**How to fix:** {}", summary::text(fix)));
        }
        self.summary.prepend(section);
    }

    fn flush_outputs(&self) -> Result<()> {
        if let (Some(path), false) = (&self.env_file, self.exported.is_empty()) {
            self.exported.write_file_for(path, "GITHUB_ENV")?;
        }
        match &self.output_file {
            Some(path) => self.outputs.write_file(path),
            None => {
                let text = if self.json {
                    self.outputs.to_json()
                } else {
                    commands::neutralise(&self.outputs.to_lines())
                };
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                Ok(())
            }
        }
    }

    fn flush_summary(&self) -> Result<()> {
        if self.summary.is_empty() {
            return Ok(());
        }
        match &self.summary_file {
            Some(path) => self.summary.append_to(path),
            None => {
                let mut err = std::io::stderr().lock();
                let text = commands::neutralise(&self.summary.render(summary::SUMMARY_LIMIT));
                let _ = err.write_all(text.as_bytes());
                Ok(())
            }
        }
    }
}

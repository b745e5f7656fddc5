//! Package code runs where it can write nothing the runner or a later step reads.
//!
//! smoke-install runs code an outsider may control: a package's import-time code, a dependency's
//! install script. Scrubbing its environment is not enough: as the runner's own user it could walk
//! to `RUNNER_TEMP/_runner_file_commands/` and append `BASH_ENV=…` to the `GITHUB_ENV` file (the
//! next step then runs its script with that step's secrets), forge this step's outputs, edit the
//! workspace a later step builds from, or read `/proc/<pid>/environ` of the step's shell.
//!
//! So every tool a sandbox starts runs through this binary's helper (`__sandbox-exec`), which
//! puts it in fresh Linux namespaces before `exec`:
//! - a user namespace, where it is an ordinary user without capabilities (the outer user, or
//!   uid 1000 standing for root), so it can undo none of what follows;
//! - a mount namespace where every mount is read-only except the sandbox directory, which the
//!   sandbox removes afterwards; the runner's file-command directory and the outer HOME's
//!   credential files are covered by empty ones;
//! - a PID namespace with its own `/proc`: no other process of the machine is visible, and when
//!   the tool ends every process it left behind is killed with it.
//!
//! The helper needs no privilege where unprivileged user namespaces are allowed (most Linux
//! machines, root included). Where they are not (a container, or Ubuntu 24.04's AppArmor
//! restriction), [`isolation`] says so once per run and the mode warns that package code ran
//! unconfined, naming the limit.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The first argument that makes the binary the helper instead of the CLI.
pub const HELPER_ARG: &str = "__sandbox-exec";

/// What the helper prints (and exits 127 with) when the tool itself cannot be started.
pub const CANNOT_RUN: &str = "release-action sandbox: cannot run";

/// What the helper exits with when the confinement could not be set up.
const SETUP_FAILED: i32 = 125;

/// The outer HOME's files and directories that hold credentials for tools (npm, pip, twine,
/// cargo, docker, git, gh, ssh, cloud CLIs): covered inside the sandbox, so package code cannot
/// read a credential an earlier step left there.
const HOME_CREDENTIALS: &[&str] = &[
    ".npmrc",
    ".netrc",
    ".pypirc",
    ".git-credentials",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".docker",
    ".config/gh",
    ".ssh",
    ".aws",
    ".kube",
    ".config/gcloud",
    ".gnupg",
];

/// How package code is confined on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// In namespaces: a read-only file system but for the sandbox, its own PID namespace.
    Namespaces,
    /// Not confined, and why (what the probe said).
    Unavailable(String),
}

static ISOLATION: OnceLock<Isolation> = OnceLock::new();

/// How this run confines package code, decided once by running the helper's probe in `dir` (a
/// fresh sandbox directory).
pub fn isolation(dir: &Path) -> &'static Isolation {
    ISOLATION.get_or_init(|| probe(dir))
}

/// What was decided, if anything ran in a sandbox.
pub fn decided() -> Option<&'static Isolation> {
    ISOLATION.get()
}

fn probe(dir: &Path) -> Isolation {
    if !cfg!(target_os = "linux") {
        return Isolation::Unavailable("namespaces are a Linux feature".into());
    }
    let probe_dir = dir.join("isolation-probe");
    if let Err(e) = std::fs::create_dir_all(&probe_dir) {
        return Isolation::Unavailable(format!("cannot create {}: {e}", probe_dir.display()));
    }
    let mut cmd = helper_command(&probe_dir, &[]);
    cmd.arg("--probe").arg("--").arg("true");
    cmd.env_clear().current_dir(&probe_dir);
    let result = cmd.output();
    let _ = std::fs::remove_dir_all(&probe_dir);
    match result {
        Ok(out) if out.status.success() => Isolation::Namespaces,
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Isolation::Unavailable(if said.is_empty() {
                format!("the probe exited with {}", out.status)
            } else {
                said.trim_start_matches("release-action sandbox: ")
                    .to_string()
            })
        }
        Err(e) => Isolation::Unavailable(format!("cannot start the probe: {e}")),
    }
}

/// The helper, to confine a tool that may write only `writable`, with `hidden` covered.
fn helper_command(writable: &Path, hidden: &[PathBuf]) -> Command {
    // The running binary itself: /proc/self/exe in the forked child is still this image.
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg(HELPER_ARG).arg("--writable").arg(writable);
    for path in hidden {
        cmd.arg("--hide").arg(path);
    }
    cmd
}

/// A command that runs `program` confined to `writable` (see the module docs), or `program`
/// itself when this machine cannot confine it.
pub fn command(program: &OsStr, writable: &Path) -> Command {
    match isolation(writable) {
        Isolation::Namespaces => {
            let mut cmd = helper_command(writable, &hidden_paths());
            cmd.arg("--").arg(program);
            cmd
        }
        Isolation::Unavailable(_) => Command::new(program),
    }
}

/// The program a command runs, looking through the helper.
pub fn program_of(cmd: &Command) -> OsString {
    if cmd.get_program() == OsStr::new("/proc/self/exe") {
        let mut args = cmd.get_args().skip_while(|a| *a != OsStr::new("--"));
        if let Some(program) = args.nth(1) {
            return program.to_os_string();
        }
    }
    cmd.get_program().to_os_string()
}

/// What the sandbox covers: the runner's file commands and the outer HOME's credentials.
fn hidden_paths() -> Vec<PathBuf> {
    let mut hidden = Vec::new();
    if let Some(temp) = super::env::runner_temp() {
        hidden.push(temp.join("_runner_file_commands"));
    }
    if let Some(home) = super::env::os_value("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        hidden.extend(HOME_CREDENTIALS.iter().map(|name| home.join(name)));
    }
    hidden.retain(|p| p.symlink_metadata().is_ok());
    hidden
}

// ---------------------------------------------------------------------------------- the helper

/// The helper's arguments: `--writable DIR [--hide PATH]... [--probe] -- PROGRAM [ARG]...`.
struct Spec {
    writable: PathBuf,
    hidden: Vec<PathBuf>,
    probe: bool,
    program: Vec<OsString>,
}

fn parse(args: &[OsString]) -> Result<Spec, String> {
    let mut spec = Spec {
        writable: PathBuf::new(),
        hidden: Vec::new(),
        probe: false,
        program: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--writable") => {
                spec.writable = it.next().ok_or("--writable needs a path")?.into()
            }
            Some("--hide") => spec
                .hidden
                .push(it.next().ok_or("--hide needs a path")?.into()),
            Some("--probe") => spec.probe = true,
            Some("--") => {
                spec.program = it.cloned().collect();
                break;
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if !spec.writable.is_absolute() || spec.program.is_empty() {
        return Err("usage: __sandbox-exec --writable DIR [--hide PATH]... -- PROGRAM".into());
    }
    Ok(spec)
}

/// The helper's entry point (`release-action __sandbox-exec …`): sets the namespaces up, runs the
/// program as the only child of the new PID namespace's first process, and exits with its code.
#[allow(clippy::print_stderr)]
pub fn helper_main(args: &[OsString]) -> ! {
    let code = match parse(args).and_then(|spec| sys::run(&spec)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("release-action sandbox: {message}");
            SETUP_FAILED
        }
    };
    std::process::exit(code)
}

fn c_path(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("{path:?} holds a NUL byte"))
}

#[cfg(not(target_os = "linux"))]
mod sys {
    pub(super) fn run(_: &super::Spec) -> Result<i32, String> {
        Err("namespaces are a Linux feature".into())
    }
}

// The helper is a fresh, single-threaded image (cli::main calls it before anything else), so
// fork is safe here; every block wraps one system call whose arguments are checked values.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys {
    use std::ffi::CString;
    use std::io::Error;
    use std::os::unix::process::CommandExt;
    use std::path::Path;

    use super::{c_path, Spec, CANNOT_RUN};

    /// `mount_setattr(2)`: the same number on every architecture the binary ships for.
    const SYS_MOUNT_SETATTR: libc::c_long = 442;
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const AT_RECURSIVE: libc::c_uint = 0x8000;

    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }

    fn check(ret: libc::c_int, what: &str) -> Result<(), String> {
        if ret < 0 {
            Err(format!("{what}: {}", Error::last_os_error()))
        } else {
            Ok(())
        }
    }

    /// Sets (or clears) read-only on the mount at `path` and, with `recursive`, every mount below.
    fn set_read_only(path: &CString, read_only: bool, recursive: bool) -> Result<(), String> {
        let attr = MountAttr {
            attr_set: if read_only { MOUNT_ATTR_RDONLY } else { 0 },
            attr_clr: if read_only { 0 } else { MOUNT_ATTR_RDONLY },
            propagation: 0,
            userns_fd: 0,
        };
        let flags = if recursive { AT_RECURSIVE } else { 0 };
        // SAFETY: `path` is a valid C string and `attr` a live struct of the size passed.
        let ret = unsafe {
            libc::syscall(
                SYS_MOUNT_SETATTR,
                libc::AT_FDCWD,
                path.as_ptr(),
                flags,
                &attr as *const MountAttr,
                std::mem::size_of::<MountAttr>(),
            )
        };
        check(ret as libc::c_int, &format!("mount_setattr {path:?}"))
    }

    fn mount(
        source: Option<&CString>,
        target: &CString,
        fstype: Option<&CString>,
        flags: libc::c_ulong,
        data: Option<&CString>,
    ) -> Result<(), String> {
        let ptr = |s: Option<&CString>| s.map_or(std::ptr::null(), |s| s.as_ptr());
        // SAFETY: every pointer is null or a valid C string that outlives the call.
        let ret = unsafe {
            libc::mount(
                ptr(source),
                target.as_ptr(),
                ptr(fstype),
                flags,
                ptr(data).cast(),
            )
        };
        check(ret, &format!("mount {target:?}"))
    }

    /// Writes the user namespace's id maps of `pid` from outside it: mapping root (kuid 0) needs
    /// CAP_SETFCAP in the parent namespace, which the namespace's own process no longer has.
    fn id_maps(pid: libc::pid_t) -> Result<(), String> {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        // Root outside is uid 1000 inside: uid 0 inside would keep its capabilities across exec
        // and could remount what follows read-write.
        let inner = |id: u32| if id == 0 { 1000 } else { id };
        let write = |file: &str, text: String| {
            let file = format!("/proc/{pid}/{file}");
            std::fs::write(&file, text).map_err(|e| format!("cannot write {file}: {e}"))
        };
        match write("setgroups", "deny".into()) {
            Err(e) if !e.contains("No such file") => return Err(e),
            _ => {}
        }
        write("uid_map", format!("{} {uid} 1\n", inner(uid)))?;
        write("gid_map", format!("{} {gid} 1\n", inner(gid)))
    }

    /// A pipe's two ends, closed on exec.
    fn pipe() -> Result<[libc::c_int; 2], String> {
        let mut fds = [0; 2];
        // SAFETY: `fds` is a live array of two ints.
        let ret = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        check(ret, "pipe")?;
        Ok(fds)
    }

    fn send(fd: libc::c_int, byte: u8) {
        // SAFETY: writes one byte from a live local, then closes a descriptor this process owns.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
            libc::close(fd);
        }
    }

    fn receive(fd: libc::c_int) -> Option<u8> {
        let mut byte = 0u8;
        // SAFETY: reads one byte into a live local.
        let n = unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
        // SAFETY: closes a descriptor this process owns; nothing uses it afterwards.
        unsafe { libc::close(fd) };
        (n == 1).then_some(byte)
    }

    /// The mount namespace: everything read-only, `hidden` covered, `writable` writable.
    fn mounts(spec: &Spec) -> Result<(), String> {
        let root = CString::new("/").expect("no NUL");
        mount(None, &root, None, libc::MS_REC | libc::MS_PRIVATE, None)?;
        let writable = c_path(&spec.writable)?;
        // Held across the covering mounts, in case the sandbox lies under a covered path.
        // SAFETY: a valid C string; the descriptor is closed below.
        let keep = unsafe {
            libc::open(
                writable.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        check(keep, &format!("open {writable:?}"))?;
        set_read_only(&root, true, true)?;
        let tmpfs = CString::new("tmpfs").expect("no NUL");
        let dev_null = CString::new("/dev/null").expect("no NUL");
        for path in &spec.hidden {
            let Ok(meta) = path.symlink_metadata() else {
                continue;
            };
            let target = c_path(path)?;
            if meta.is_dir() {
                let options = CString::new("mode=0755,size=64k").expect("no NUL");
                let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_RDONLY;
                mount(Some(&tmpfs), &target, Some(&tmpfs), flags, Some(&options))?;
            } else if meta.is_file() {
                mount(Some(&dev_null), &target, None, libc::MS_BIND, None)?;
            }
        }
        std::fs::create_dir_all(&spec.writable)
            .map_err(|e| format!("cannot create {}: {e}", spec.writable.display()))?;
        let kept = CString::new(format!("/proc/self/fd/{keep}")).expect("no NUL");
        mount(
            Some(&kept),
            &writable,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        )?;
        // SAFETY: closes the descriptor opened above.
        unsafe { libc::close(keep) };
        set_read_only(&writable, false, true)
    }

    fn fork() -> Result<libc::pid_t, String> {
        // SAFETY: the helper is single-threaded (see the module's comment).
        let pid = unsafe { libc::fork() };
        check(pid, "fork")?;
        Ok(pid)
    }

    /// Waits for `pid`, reaping any other child on the way; its exit code (128 + a signal).
    fn wait_for(pid: libc::pid_t) -> Result<i32, String> {
        loop {
            let mut status = 0;
            // SAFETY: `status` is a live int.
            let got = unsafe { libc::waitpid(-1, &mut status, 0) };
            if got < 0 {
                let err = Error::last_os_error();
                if err.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(format!("waitpid: {err}"));
            }
            if got != pid {
                continue;
            }
            if libc::WIFEXITED(status) {
                return Ok(libc::WEXITSTATUS(status));
            }
            if libc::WIFSIGNALED(status) {
                return Ok(128 + libc::WTERMSIG(status));
            }
        }
    }

    fn die_with_parent() {
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    }

    pub(super) fn run(spec: &Spec) -> Result<i32, String> {
        let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
        let unshared = pipe()?;
        let mapped = pipe()?;
        let child = fork()?;
        if child > 0 {
            // SAFETY: closes the ends this process does not use.
            unsafe {
                libc::close(unshared[1]);
                libc::close(mapped[0]);
            }
            let maps = match receive(unshared[0]) {
                Some(b'1') => id_maps(child),
                _ => Err(String::new()),
            };
            send(mapped[1], if maps.is_ok() { b'1' } else { b'0' });
            let code = wait_for(child)?;
            return maps
                .map(|()| code)
                .or_else(|e| if e.is_empty() { Ok(code) } else { Err(e) });
        }
        // SAFETY: closes the ends this process does not use.
        unsafe {
            libc::close(unshared[0]);
            libc::close(mapped[1]);
        }
        die_with_parent();
        let flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID;
        // SAFETY: unshare with constant flags.
        if let Err(e) = check(unsafe { libc::unshare(flags) }, "cannot create namespaces") {
            send(unshared[1], b'0');
            exit_with(Err(e));
        }
        send(unshared[1], b'1');
        if receive(mapped[0]) != Some(b'1') {
            std::process::exit(super::SETUP_FAILED);
        }
        exit_with(in_namespaces(spec, &cwd))
    }

    fn exit_with(result: Result<i32, String>) -> ! {
        std::process::exit(result.unwrap_or_else(|message| {
            super::report(&message);
            super::SETUP_FAILED
        }))
    }

    /// In the new namespaces (mapped by the parent): the mounts, then the PID namespace's first
    /// process, which mounts its own /proc and runs the program as its child.
    fn in_namespaces(spec: &Spec, cwd: &Path) -> Result<i32, String> {
        mounts(spec)?;
        // Through the new mounts: the old working directory still points at the writable ones.
        std::env::set_current_dir(cwd)
            .map_err(|e| format!("cannot enter {}: {e}", cwd.display()))?;
        let first = fork()?;
        if first > 0 {
            return wait_for(first);
        }
        die_with_parent();
        exit_with(init(spec))
    }

    fn init(spec: &Spec) -> Result<i32, String> {
        let proc_ = CString::new("proc").expect("no NUL");
        let target = CString::new("/proc").expect("no NUL");
        let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        mount(Some(&proc_), &target, Some(&proc_), flags, None)?;
        let child = fork()?;
        if child > 0 {
            return wait_for(child);
        }
        die_with_parent();
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        if spec.probe {
            std::process::exit(match probe_checks(spec) {
                Ok(()) => 0,
                Err(message) => {
                    super::report(&message);
                    super::SETUP_FAILED
                }
            });
        }
        let err = std::process::Command::new(&spec.program[0])
            .args(&spec.program[1..])
            .exec();
        super::report(&format!(
            "{} `{}`: {err}",
            CANNOT_RUN.trim_start_matches("release-action sandbox: "),
            spec.program[0].to_string_lossy()
        ));
        std::process::exit(127)
    }

    /// What the probe proves before the run relies on it: the sandbox is writable, the rest not.
    fn probe_checks(spec: &Spec) -> Result<(), String> {
        let inside = spec.writable.join("probe");
        std::fs::write(&inside, "probe")
            .map_err(|e| format!("the sandbox is not writable: {e}"))?;
        let outside = spec
            .writable
            .parent()
            .unwrap_or(Path::new("/"))
            .join(".release-action-isolation-probe");
        match std::fs::write(&outside, "probe") {
            Err(e) if e.raw_os_error() == Some(libc::EROFS) => Ok(()),
            Err(e) => Err(format!(
                "writing outside the sandbox failed, but not as read-only: {e}"
            )),
            Ok(()) => {
                let _ = std::fs::remove_file(&outside);
                Err("the file system outside the sandbox is still writable".into())
            }
        }
    }
}

#[allow(clippy::print_stderr)]
fn report(message: &str) {
    eprintln!("release-action sandbox: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_found_through_the_helper() {
        let mut cmd = helper_command(Path::new("/sandbox"), &[PathBuf::from("/x")]);
        cmd.arg("--").arg("npm").arg("--").arg("install");
        assert_eq!(program_of(&cmd), OsString::from("npm"));
        assert_eq!(program_of(&Command::new("pip")), OsString::from("pip"));
    }

    #[test]
    fn the_helper_refuses_a_relative_sandbox_or_no_program() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(parse(&args(&["--writable", "rel", "--", "true"])).is_err());
        assert!(parse(&args(&["--writable", "/abs", "--"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        let spec = parse(&args(&[
            "--writable",
            "/abs",
            "--hide",
            "/h",
            "--",
            "a",
            "--",
            "b",
        ]))
        .unwrap();
        assert_eq!(spec.program, args(&["a", "--", "b"]));
        assert_eq!(spec.hidden, vec![PathBuf::from("/h")]);
    }
}

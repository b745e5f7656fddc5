//! Secrets leave the process environment before any other code runs.
//!
//! smoke-install runs code an outsider may control (a package's import-time code), and that code
//! can read the initial environment of every ancestor process in `/proc/<pid>/environ` — the
//! kernel keeps the block the process was exec'd with, whatever the process later changes. A
//! child's clean environment is therefore not enough. So when the binary starts with a secret in
//! its environment (`INPUT_TOKEN`, `INPUT_REGISTRY-TOKEN`, `NODE_AUTH_TOKEN`, …), it writes the
//! secrets into a pipe and re-executes itself (same pid, same arguments) with an environment
//! without them and the pipe's read end inherited; the new image reads the secrets back into its
//! in-process environment table, which lives on the heap and is not what `/proc/<pid>/environ`
//! shows. action.yml's step shell `exec`s the binary, so no shell above it keeps a copy either.
//!
//! Child processes are started from an explicit environment (`Sandbox::command` clears it) or
//! with the secrets removed ([`remove_from`]); only the code that needs a secret gets it.

use std::ffi::OsStr;

use crate::runner;

#[cfg(unix)]
pub use unix::drop_from_process_environment;

/// Windows has no `/proc` for package code to read another process's environment from, and no
/// exec that keeps the process: nothing to do there.
#[cfg(not(unix))]
pub fn drop_from_process_environment() -> Result<(), String> {
    Ok(())
}

/// Is this environment variable a secret: a secret-named input, or a known credential variable.
pub fn is_secret_variable(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    (name.starts_with("INPUT_") && runner::is_secret_name(&name))
        || runner::SECRET_ENV.contains(&name.as_ref())
}

/// Removes every secret variable from what a child process inherits.
pub fn remove_from(cmd: &mut std::process::Command) {
    for name in super::env::names() {
        if is_secret_variable(&name) {
            cmd.env_remove(name);
        }
    }
}

// The one place that changes the process environment: the secrets leave it and come back into
// the in-process table (see the module docs).
// Raw syscalls (pipe, write, close, fcntl, fstat, prctl): the crate denies unsafe_code
// everywhere else.
#[cfg(unix)]
#[allow(clippy::disallowed_methods, unsafe_code)]
mod unix {
    use std::ffi::{OsStr, OsString};
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;

    use super::is_secret_variable;

    /// Names the inherited pipe's file descriptor in the re-executed image.
    const FD_VARIABLE: &str = "RELEASE_ACTION_SECRETS_FD";

    /// The most secret bytes handed over: a pipe holds at least this much without a reader, and the
    /// writer must not block (the reader is the image that replaces it).
    const MAX_SECRET_BYTES: usize = 16 * 1024;

    /// Drops the secrets from this process's exec-time environment (see the module docs). Returns
    /// only in the image that no longer holds them in `/proc/self/environ`; an error when that could
    /// not be done (the caller exits 2 rather than run on with secrets exposed).
    pub fn drop_from_process_environment() -> Result<(), String> {
        if let Some(fd) = std::env::var_os(FD_VARIABLE) {
            std::env::remove_var(FD_VARIABLE);
            take_from_pipe(&fd)?;
            return make_undumpable();
        }
        // A blank value (action.yml passes '' to the modes that do not read a secret) is no secret.
        let secrets: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(name, value)| {
                is_secret_variable(name) && !value.to_string_lossy().trim().is_empty()
            })
            .collect();
        if secrets.is_empty() {
            return Ok(());
        }
        let mut payload = Vec::new();
        for (name, value) in &secrets {
            if name.as_bytes().contains(&0) || value.as_bytes().contains(&0) {
                continue;
            }
            payload.extend_from_slice(name.as_bytes());
            payload.push(0);
            payload.extend_from_slice(value.as_bytes());
            payload.push(0);
        }
        if payload.len() > MAX_SECRET_BYTES {
            return Err(format!(
            "the secret variables ({}) hold {} bytes together, more than the {MAX_SECRET_BYTES} \
             this binary hands over",
            names(&secrets),
            payload.len()
        ));
        }
        let (read_end, write_end) = pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
        // SAFETY: writes `payload.len()` bytes from a live buffer to a descriptor `pipe` opened.
        let written = unsafe { libc::write(write_end, payload.as_ptr().cast(), payload.len()) };
        // SAFETY: closes the write end this process owns; nothing uses it afterwards.
        unsafe { libc::close(write_end) };
        if written != payload.len() as isize {
            // SAFETY: closes the read end this process owns; nothing uses it afterwards.
            unsafe { libc::close(read_end) };
            return Err(format!(
                "cannot hand the secrets over: {}",
                std::io::Error::last_os_error()
            ));
        }
        let exe = if cfg!(target_os = "linux") && std::path::Path::new("/proc/self/exe").exists() {
            std::path::PathBuf::from("/proc/self/exe")
        } else {
            std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg0(arg0)
            .args(args)
            .env(FD_VARIABLE, read_end.to_string());
        for (name, _) in &secrets {
            cmd.env_remove(name);
        }
        // Only returns on failure.
        let err = cmd.exec();
        // SAFETY: exec failed, so the read end is still this process's; nothing uses it afterwards.
        unsafe { libc::close(read_end) };
        Err(format!("cannot re-execute {}: {err}", exe.display()))
    }

    fn names(secrets: &[(OsString, OsString)]) -> String {
        secrets
            .iter()
            .map(|(n, _)| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// With the secrets now only in this process's memory, no other process of the same user may
    /// read that memory: a process that is not dumpable has its `/proc/<pid>/{mem,environ,…}`
    /// owned by root and refuses `ptrace` attach without `CAP_SYS_PTRACE`. Children are dumpable
    /// again after their own exec, so the tools smoke-install runs are unaffected. (Root, or
    /// `sudo` on hosted runners, can still read it: that is outside any process's reach.)
    #[cfg(target_os = "linux")]
    fn make_undumpable() -> Result<(), String> {
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            return Err(format!(
                "cannot make the process undumpable: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn make_undumpable() -> Result<(), String> {
        Ok(())
    }

    /// A pipe whose read end survives exec and whose write end does not block.
    fn pipe() -> std::io::Result<(i32, i32)> {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` is a live array of two ints, as pipe(2) wants.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let [read_end, write_end] = fds;
        // SAFETY: fcntl with integer arguments on the descriptor pipe(2) just returned.
        unsafe {
            libc::fcntl(write_end, libc::F_SETFD, libc::FD_CLOEXEC);
            let flags = libc::fcntl(write_end, libc::F_GETFL);
            libc::fcntl(write_end, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Ok((read_end, write_end))
    }

    /// In the re-executed image: reads the secrets back from the inherited pipe into this process's
    /// environment table (not its exec-time block), and closes the pipe.
    fn take_from_pipe(fd: &OsStr) -> Result<(), String> {
        use std::os::fd::FromRawFd;
        let fd: i32 = fd
            .to_str()
            .and_then(|s| s.parse().ok())
            .filter(|fd| *fd > 2)
            .ok_or_else(|| format!("{FD_VARIABLE} is not a file descriptor: {fd:?}"))?;
        // Only a pipe: a stray variable must not make the binary read some other open file.
        // SAFETY: `libc::stat` is plain data, for which all-zero bytes are a valid value.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `stat` is a live, writable struct of the type fstat(2) fills.
        if unsafe { libc::fstat(fd, &mut stat) } != 0
            || stat.st_mode & libc::S_IFMT != libc::S_IFIFO
        {
            return Err(format!("{FD_VARIABLE}={fd} is not a pipe"));
        }
        // SAFETY: fcntl with integer arguments; a bad descriptor is only an error return.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        // SAFETY: `fd` is an open pipe (checked by fstat above) that nothing else in this
        // process owns: the File takes it over and closes it once.
        let mut pipe = unsafe { std::fs::File::from_raw_fd(fd) };
        let mut payload = Vec::new();
        pipe.read_to_end(&mut payload)
            .map_err(|e| format!("cannot read the secrets back: {e}"))?;
        drop(pipe);
        let mut fields = payload.split(|b| *b == 0);
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            if name.is_empty() {
                continue;
            }
            let name = OsStr::from_bytes(name);
            if is_secret_variable(name) {
                std::env::set_var(name, OsStr::from_bytes(value));
            }
        }
        Ok(())
    }
}

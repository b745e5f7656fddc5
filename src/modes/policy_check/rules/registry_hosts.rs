//! The registry-host rules, `allowed-registries` and `forbidden-hosts`: the hosts packages are
//! resolved from, as the file's registry references ([`super::super::registry_refs`]) name
//! them. With `packages:`, only references that name a matching package (or scope) are checked.

use super::super::config::{Check, Rule};
use super::super::registry_refs::RegistryRef;
use super::super::text::LineIndex;
use super::super::Violation;

pub fn check(
    rule: &Rule,
    path: &str,
    index: &LineIndex,
    refs: &[RegistryRef],
    out: &mut Vec<Violation>,
) {
    let Check::RegistryHosts {
        allow,
        hosts,
        host_set,
        packages,
        files,
    } = &rule.check
    else {
        return;
    };
    if !files.matches(path) {
        return;
    }
    for r in refs {
        if let Some(packages) = packages {
            match &r.package {
                Some(p) if packages.is_match(p) => {}
                _ => continue,
            }
        }
        let listed = host_set.is_match(&r.host);
        if listed == *allow {
            continue;
        }
        let what = match &r.package {
            Some(p) => format!("`{p}` resolves from `{}`", r.host),
            None => format!("uses registry host `{}`", r.host),
        };
        let detail = if *allow {
            format!(
                "{what}, which is not an allowed registry (allowed: {})",
                hosts.join(", ")
            )
        } else {
            format!("{what}, which is a forbidden host")
        };
        out.push(super::violation(
            rule, path, index, r.offset, r.len, &r.url, detail,
        ));
    }
}

//! `forbidden-imports`: files matching `from` (minus `except`) must not import modules matching
//! `to`.

use super::super::config::{Check, Rule};
use super::super::imports::Import;
use super::super::text::LineIndex;
use super::super::Violation;

pub fn check(
    rule: &Rule,
    path: &str,
    index: &LineIndex,
    imports: &[Import],
    out: &mut Vec<Violation>,
) {
    let Check::ForbiddenImports { from, to, modules } = &rule.check else {
        return;
    };
    if !from.matches(path) {
        return;
    }
    for import in imports {
        let hit = import.candidates.iter().find_map(|candidate| {
            modules
                .matches(candidate)
                .iter()
                .next()
                .map(|i| (candidate, &to[i]))
        });
        if let Some((candidate, pattern)) = hit {
            let via = if candidate != &import.module {
                format!(" (resolves to `{candidate}`)")
            } else {
                String::new()
            };
            out.push(super::violation(
                rule,
                path,
                index,
                import.offset,
                import.len,
                &import.module,
                format!(
                    "imports `{}`{via}, which matches forbidden `{pattern}`",
                    import.module
                ),
            ));
        }
    }
}

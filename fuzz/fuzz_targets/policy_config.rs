//! The policy file parser (policy-check's `.github/release-policy.yml`) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use release_action::modes::policy_check::config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = config::parse(&text, "fuzz.yml");
    let _ = config::module_regex(&text);
    let _ = config::host_of(&text);
});

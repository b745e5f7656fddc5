//! `$GITHUB_OUTPUT` written by the real writer and read back by a parser that follows the
//! runner's rules: no value, however hostile, adds, drops or changes an output.

use crate::support::harness;

use std::collections::BTreeMap;

use proptest::prelude::*;
use release_action::runner::outputs::Outputs;

fn round_trip(values: &[(&str, String)]) -> BTreeMap<String, String> {
    let mut outputs = Outputs::default();
    for (name, value) in values {
        outputs.set(name, value.clone());
    }
    let text = outputs.to_file_text().expect("writable");
    harness::parse_output_file(&text).expect("the runner can read it")
}

#[test]
fn hostile_values_survive_exactly() {
    let hostile = vec![
        ("lf", "first\nsecond=injected\nthird".to_string()),
        ("crlf", "a\r\nb\r\n".to_string()),
        ("eof", "EOF\nx<<EOF\ninjected=1\nEOF".to_string()),
        (
            "fake-delimiter",
            "ghadelimiter_00000000-0000-0000-0000-000000000000\nname=evil".to_string(),
        ),
        ("heredoc-looking", "evil<<X\nX".to_string()),
        ("non-ascii", "version ✓ — Ünïcødé 🚀 \u{0}".to_string()),
        ("empty", String::new()),
        ("trailing-newline", "value\n".to_string()),
        ("huge", "0123456789abcdef\n".repeat(65_536)),
    ];
    let parsed = round_trip(&hostile);
    assert_eq!(
        parsed.len(),
        hostile.len(),
        "extra or missing outputs: {:?}",
        parsed.keys()
    );
    for (name, value) in &hostile {
        assert_eq!(&parsed[*name], value, "output {name} changed");
    }
}

#[test]
fn every_write_draws_a_fresh_random_delimiter() {
    // A value can only end itself early by containing its delimiter, so the delimiter is random
    // per write. (That the writer refuses a value containing its delimiter is a unit test in
    // src/runner/outputs.rs, where the delimiter can be fixed.)
    let mut outputs = Outputs::default();
    outputs.set("x", "plain");
    let text = outputs.to_file_text().unwrap();
    let delimiter = text
        .lines()
        .next()
        .unwrap()
        .split("<<")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(delimiter.starts_with("ghadelimiter_"));
    assert_ne!(
        outputs.to_file_text().unwrap(),
        text,
        "every write draws a fresh delimiter"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn any_values_round_trip(values in proptest::collection::vec(any::<String>(), 1..6)) {
        let named: Vec<(String, String)> =
            values.into_iter().enumerate().map(|(i, v)| (format!("out-{i}"), v)).collect();
        let borrowed: Vec<(&str, String)> = named.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let parsed = round_trip(&borrowed);
        prop_assert_eq!(parsed.len(), named.len());
        for (name, value) in &named {
            prop_assert_eq!(&parsed[name], value);
        }
    }
}

//! The event payload (`GITHUB_EVENT_PATH`) and ref on arbitrary bytes: the context queries and the
//! channel decision must not panic, whatever JSON (or not-JSON) the runner hands over.
#![no_main]
use libfuzzer_sys::fuzz_target;
use release_action::channel::{self, Channels};
use release_action::github::context::{Context, RefKind};

fuzz_target!(|data: &[u8]| {
    let (head, body) = data.split_at(data.len().min(64));
    let git_ref = String::from_utf8_lossy(head).into_owned();
    let _ = RefKind::parse(&git_ref);
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    for event_name in ["push", "pull_request", "pull_request_target", ""] {
        let ctx = Context {
            git_ref: git_ref.clone(),
            event_name: event_name.into(),
            event: event.clone(),
            ..Context::default()
        };
        let _ = ctx.pull_request_number();
        let _ = ctx.pull_request_head_sha();
        let _ = ctx.pull_request_head_ref();
        let channels = Channels::parse("main=dev\nrelease/*=rc").expect("static channels");
        let _ = channel::decide(&ctx, &channels, "v");
    }
});

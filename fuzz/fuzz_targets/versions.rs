//! Tag parsing, version overrides (npm, PEP 440, Go) and the version inputs of channel-tags on
//! arbitrary bytes; whatever validates must print back unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use release_action::version::{go, npm, pep440, tags::Releases, tags::TagVersion};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (prefix, rest) = text.split_at(text.char_indices().nth(2).map_or(text.len(), |(i, _)| i));
    let _ = TagVersion::parse(&text, prefix);
    let names: Vec<&str> = text.split('\n').collect();
    let releases = Releases::from_tag_names(&names, "v");
    let _ = releases.latest_stable();
    if let Ok(v) = npm::validate(&text) {
        assert_eq!(v.to_string(), text);
    }
    if let Ok(v) = pep440::normalize(&text) {
        let again = pep440::normalize(&v.to_string()).expect("a normal form parses");
        assert_eq!(again.to_string(), v.to_string());
    }
    let _ = go::validate(&text, go::path_major(rest));
    if let Ok(v) = semver::Version::parse(&text) {
        let _ = pep440::from_semver(&v);
    }
    let _ = release_action::modes::channel_tags::versions::Versions::parse(&text);
    let _ = release_action::modes::channel_tags::template::ChannelTags::parse(&text);
    let _ = release_action::modes::channel_tags::template::Template::parse(&text);
    let _ = release_action::modes::channel_tags::docker::sanitize_tag(&text);
    let _ = release_action::modes::channel_tags::docker::image_name(&text);
    let _ = release_action::modes::channel_tags::labels::parse_extra(&text);
    let _ = release_action::channel::Channels::parse(&text);
});

//! What Secrets Manager parses from requests beyond the wire types: rotation
//! schedules (`rate(...)`, `cron(...)`) and their next windows, and ListSecrets
//! filter values matched against names, descriptions and tags. Errors, never
//! panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlguard_server::secrets::{filters, schedule};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mid = (0..=text.len() / 2)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let (head, tail) = text.split_at(mid);
    if let Ok(Some(plan)) = schedule::parse(None, Some(text)) {
        let _ = plan.next(1_795_700_000);
    }
    if let Ok(Some(plan)) = schedule::parse(None, Some(&format!("cron({text})"))) {
        let _ = plan.next(1_795_700_000);
    }
    let values = vec![head.to_string(), tail.to_string()];
    let tags = vec![(head.to_string(), tail.to_string())];
    let subject = filters::Subject {
        name: tail,
        description: Some(head),
        tags: &tags,
        primary_region: None,
        owning_service: None,
    };
    for key in ["name", "description", "tag-key", "tag-value", "all"] {
        let _ = filters::matches(&subject, &[filters::Filter { key, values: &values }]);
    }
});

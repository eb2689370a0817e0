//! Detection over sentences: each case names the spans that must be found
//! (type and exact text) and nothing else.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    reason = "tests: a wrong offset should fail loudly"
)]

use mlguard_pii::{CustomIdentifier, Detector, DetectorOptions, Label, PiiType};

fn found(d: &Detector, text: &str) -> Vec<(String, String)> {
    d.detect(text)
        .iter()
        .map(|f| {
            (
                d.label_name(f.label).to_owned(),
                text[f.start..f.end].to_owned(),
            )
        })
        .collect()
}

fn check(cases: &[(&str, &[(&str, &str)])]) {
    let d = Detector::with_defaults();
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = found(&d, text);
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(t, v)| (t.to_string(), v.to_string()))
            .collect();
        if got != want {
            failures.push(format!("{text}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn financial() {
    check(&[
        (
            "Card 4111 1111 1111 1111 exp 09/27 cvv 123",
            &[
                ("CREDIT_DEBIT_NUMBER", "4111 1111 1111 1111"),
                ("CREDIT_DEBIT_EXPIRY", "09/27"),
                ("CREDIT_DEBIT_CVV", "123"),
            ],
        ),
        (
            "paid with 5555-5555-5555-4444 yesterday",
            &[("CREDIT_DEBIT_NUMBER", "5555-5555-5555-4444")],
        ),
        ("order 4111 1111 1111 1112 shipped", &[]),
        (
            "IBAN: DE89 3704 0044 0532 0130 00, BIC DEUTDEFF",
            &[
                (
                    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
                    "DE89 3704 0044 0532 0130 00",
                ),
                ("SWIFT_CODE", "DEUTDEFF"),
            ],
        ),
        (
            "routing number 021000021 account number 123456789012",
            &[
                ("BANK_ROUTING", "021000021"),
                ("BANK_ACCOUNT_NUMBER", "123456789012"),
            ],
        ),
        ("my PIN is 4821", &[("PIN", "4821")]),
    ]);
}

#[test]
fn national_ids() {
    check(&[
        ("SSN: 536-22-8451", &[("SSN", "536-22-8451")]),
        ("ssn 000-12-3456 is invalid", &[]),
        (
            "ITIN 912-70-1234 on file",
            &[("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "912-70-1234")],
        ),
        (
            "NI number AB 12 34 56 C",
            &[("UK_NATIONAL_INSURANCE_NUMBER", "AB 12 34 56 C")],
        ),
        (
            "NHS number 943 476 5919",
            &[("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "943 476 5919")],
        ),
        (
            "SIN 130 692 544",
            &[("CA_SOCIAL_INSURANCE_NUMBER", "130 692 544")],
        ),
        (
            "Aadhaar 2341 2341 2346",
            &[("IN_AADHAAR", "2341 2341 2346")],
        ),
        (
            "PAN ABCPE1234F",
            &[("IN_PERMANENT_ACCOUNT_NUMBER", "ABCPE1234F")],
        ),
        ("voter id ABC1234567", &[("IN_VOTER_NUMBER", "ABC1234567")]),
        (
            "UTR 1234567890",
            &[("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "1234567890")],
        ),
        (
            "passport number 123456789",
            &[("PASSPORT_NUMBER", "123456789")],
        ),
        ("driver's license D1234567", &[("DRIVER_ID", "D1234567")]),
        (
            "VIN 1M8GDM9AXKP042788",
            &[("VEHICLE_IDENTIFICATION_NUMBER", "1M8GDM9AXKP042788")],
        ),
        ("license plate 7ABC123", &[("LICENSE_PLATE", "7ABC123")]),
    ]);
}

#[test]
fn contact_and_network() {
    check(&[
        (
            "email jane.doe+ml@example.co.uk now",
            &[("EMAIL", "jane.doe+ml@example.co.uk")],
        ),
        (
            "call (555) 234-5678 or +44 20 7946 0958",
            &[("PHONE", "(555) 234-5678"), ("PHONE", "+44 20 7946 0958")],
        ),
        (
            "see https://example.com/a?b=1.",
            &[("URL", "https://example.com/a?b=1")],
        ),
        (
            "from 203.0.113.7 and fe80::1ff:fe23:4567:890a",
            &[
                ("IP_ADDRESS", "203.0.113.7"),
                ("IP_ADDRESS", "fe80::1ff:fe23:4567:890a"),
            ],
        ),
        // An email in a URL's query is the email alone; credentials before
        // a URL's host are not an email.
        (
            "see https://example.com/path?email=zoe@example.com now",
            &[("EMAIL", "zoe@example.com")],
        ),
        ("url http://user:pass@example.com/x", &[]),
        ("version 1.2.3.4 released", &[]),
        (
            "mac 00:1A:2B:3C:4D:5E",
            &[("MAC_ADDRESS", "00:1A:2B:3C:4D:5E")],
        ),
    ]);
}

#[test]
fn people_places_dates() {
    check(&[
        (
            "Please contact John Smith about it",
            &[("NAME", "John Smith")],
        ),
        (
            "Dr. Priya Raghunathan signed",
            &[("NAME", "Priya Raghunathan")],
        ),
        ("Dear Maria,", &[("NAME", "Maria")]),
        (
            "She lives at 742 Evergreen Terrace, Springfield, IL 62704.",
            &[("ADDRESS", "742 Evergreen Terrace, Springfield, IL 62704")],
        ),
        (
            "Born on January 5, 1990 at noon",
            &[("DATE_TIME", "January 5, 1990")],
        ),
        (
            "at 2024-03-05T10:30:00Z the job ran",
            &[("DATE_TIME", "2024-03-05T10:30:00Z")],
        ),
        ("a 45-year-old patient", &[("AGE", "45-year-old")]),
        ("he is 37 years old", &[("AGE", "37 years")]),
        ("after 5 years of service", &[]),
        ("Age: 33", &[("AGE", "33")]),
    ]);
}

#[test]
fn credentials() {
    check(&[
        (
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            &[("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")],
        ),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            &[("AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")],
        ),
        ("password: hunter2!", &[("PASSWORD", "hunter2!")]),
        ("username=jdoe42", &[("USERNAME", "jdoe42")]),
        (
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            &[("API_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")],
        ),
    ]);
}

#[test]
fn hard_negatives() {
    check(&[
        (
            "commit 3f786850e387550fdab836ed7e6dc881de23001b merged",
            &[],
        ),
        ("request 123e4567-e89b-12d3-a456-426614174000 failed", &[]),
        ("arn:aws:iam::123456789012:role/training", &[]),
        ("order #100234567 total $1,234.56", &[]),
        (
            "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            &[],
        ),
        ("The model reached 0.93 accuracy after 12 epochs", &[]),
    ]);
}

#[test]
fn private_keys_span_the_whole_block() {
    let d = Detector::with_defaults();
    let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234abcd\nZZZZ\n-----END RSA PRIVATE KEY-----\nrest";
    let f = d.detect(text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].label, Label::Pii(PiiType::PrivateKey));
    assert!(text[f[0].start..f[0].end].ends_with("KEY-----"));
}

#[test]
fn column_names_are_context() {
    let d = Detector::with_defaults();
    let col = d.column("user_password");
    let f = d.detect_in("S3cr3t!pass", col);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].label, Label::Pii(PiiType::Password));
    let ssn = d.column("ssn");
    let f = d.detect_in("536228451", ssn);
    assert_eq!(f.first().map(|f| f.label), Some(Label::Pii(PiiType::Ssn)));
    assert!(d.detect("536228451").is_empty());
}

#[test]
fn custom_identifiers_follow_macie_keyword_distance() {
    let custom = CustomIdentifier::parse_file(
        r#"{"name":"EMPLOYEE_ID","regex":"EMP-[0-9]{6}","keywords":["employee"],"ignoreWords":["EMP-000000"],"maximumMatchDistance":20}"#,
    )
    .unwrap();
    let d = Detector::new(DetectorOptions {
        custom,
        ..DetectorOptions::default()
    })
    .unwrap();
    let names = |t: &str| found(&d, t);
    assert_eq!(
        names("employee EMP-123456"),
        vec![("EMPLOYEE_ID".into(), "EMP-123456".into())]
    );
    assert!(names("EMP-123456 without keyword").is_empty());
    assert!(names("employee record, see the attached page for EMP-123456").is_empty());
    assert!(names("employee EMP-000000").is_empty());
}

#[test]
fn offsets_are_exact_on_non_ascii_text() {
    let d = Detector::with_defaults();
    let text = "Müller’s card: 4111111111111111 — ok";
    let f = d.detect(text);
    assert_eq!(f.len(), 1);
    assert_eq!(&text[f[0].start..f[0].end], "4111111111111111");
}

#[test]
fn parallel_matches_serial() {
    let d = Detector::with_defaults();
    let line = "John Smith 536-22-8451 jane@example.com 4111 1111 1111 1111\n";
    let text = line.repeat(2000);
    assert_eq!(d.detect_parallel(&text, 4096, 2), d.detect(&text));
    assert_eq!(d.detect_parallel(&text, 4096, 1), d.detect(&text));
}

//! Realistic substitutes per type, chosen from 64 bits: random bits, or an
//! HMAC of the original under a key so the same original always gets the
//! same substitute (joins survive).
//!
//! Names come from the US Census Bureau's 1990 name files that mlguard-pii
//! ships (public domain; see crates/mlguard-pii/data/README.md). Substitutes
//! are built never to be real identifiers where a rule allows it: SSNs use
//! area numbers 900–999, which the SSA never assigns, with group numbers
//! 01–49, which no ITIN uses (ITIN groups are 50–65, 70–88, 90–92, 94–99);
//! phone numbers are 555-0100 to 555-0199, the lines reserved for fiction;
//! ZIP codes are 000xx, never assigned; card numbers start with 4000 00, a
//! test range, and carry a valid Luhn digit so validators accept them.
//!
//! Substitution is not one-to-one: two originals can draw the same
//! substitute (SSNs: 4.9 × 10⁷ values, so likely among ~8,000 distinct
//! originals). A join key should be pseudonymized, not substituted.

use std::sync::OnceLock;

use crate::DeidError;

static FIRST: &str = include_str!("../../mlguard-pii/data/first-names.txt");
static LAST: &str = include_str!("../../mlguard-pii/data/surnames.txt");

const STREETS: &[&str] = &[
    "Maple",
    "Oak",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Main",
    "Church",
    "Walnut",
    "Spring",
    "Ridge",
    "Highland",
    "Sunset",
    "River",
    "Willow",
    "Mill",
    "Forest",
    "Meadow",
    "Jackson",
    "Lincoln",
    "Chestnut",
    "Franklin",
    "Cherry",
    "Madison",
];
const STREET_KINDS: &[&str] = &["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd"];
const CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Fairview",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Salem",
    "Madison",
    "Georgetown",
    "Arlington",
    "Ashland",
    "Burlington",
    "Manchester",
    "Oxford",
    "Milton",
    "Newport",
    "Dover",
    "Hudson",
    "Kingston",
    "Marion",
    "Jackson",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn first_names() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    CELL.get_or_init(|| lines(FIRST))
}

fn last_names() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    CELL.get_or_init(|| lines(LAST))
}

/// The substitute types.
pub const KINDS: &[&str] = &[
    "FIRST_NAME",
    "LAST_NAME",
    "NAME",
    "EMAIL",
    "PHONE",
    "SSN",
    "CREDIT_DEBIT_NUMBER",
    "ADDRESS",
    "CITY",
    "ZIP",
];

/// Checks a substitute type name.
pub fn check(kind: &str) -> Result<(), DeidError> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(DeidError::Input(format!(
            "substitute type {kind:?}: one of {}",
            KINDS.join(", ")
        )))
    }
}

/// Draws from a 64-bit state (splitmix64 steps); also the seeded shuffle's
/// generator.
pub(crate) struct Bits(pub(crate) u64);

impl Bits {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is small (a list length); the bias of 64-bit modulo is < 2^-40.
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list.get(self.below(list.len())).copied().unwrap_or("x")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + u8::try_from(self.below(10)).unwrap_or(0)))
            .collect()
    }
}

/// A substitute of `kind` from 64 bits.
#[must_use]
pub fn substitute(kind: &str, seed: u64) -> String {
    let mut b = Bits(seed);
    match kind {
        "FIRST_NAME" => b.pick(first_names()).to_string(),
        "LAST_NAME" => b.pick(last_names()).to_string(),
        "NAME" => format!("{} {}", b.pick(first_names()), b.pick(last_names())),
        "EMAIL" => format!(
            "{}.{}{}@{}",
            b.pick(first_names()).to_ascii_lowercase(),
            b.pick(last_names()).to_ascii_lowercase(),
            b.below(100),
            b.pick(DOMAINS)
        ),
        "PHONE" => format!("({}) 555-01{}", 201 + b.below(788), b.digits(2)),
        "SSN" => format!(
            "9{}-{:02}-{:04}",
            b.digits(2),
            1 + b.below(49),
            1 + b.below(9999)
        ),
        "CREDIT_DEBIT_NUMBER" => {
            let body = format!("400000{}", b.digits(9));
            format!("{body}{}", luhn_digit(&body))
        }
        "ADDRESS" => format!(
            "{} {} {}",
            1 + b.below(9899),
            b.pick(STREETS),
            b.pick(STREET_KINDS)
        ),
        "CITY" => b.pick(CITIES).to_string(),
        _ => format!("000{}", b.digits(2)),
    }
}

fn luhn_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c.saturating_sub(b'0'));
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap_or('0')
}

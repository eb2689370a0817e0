//! Word tables (street types, months, field labels, titles…) behind one hash
//! lookup: a word, ASCII-lowercased and packed into a `u64` (up to eight
//! bytes) or a `u128`, maps to the bit set of the tables that list it. Words
//! are asked about many times per kilobyte of text; one lookup replaces
//! chains of comparisons. [`WordBits`] also holds the name dictionaries.

use std::sync::LazyLock;

/// Street types that are not also common surnames (`Hill`, `Park` are both).
pub(crate) const STREET_SUFFIX: u16 = 1 << 0;
/// Unit words of an address (`Apt`, `Suite`, `#`).
pub(crate) const UNIT: u16 = 1 << 1;
/// Words that, like a unit, may come before an address's house number.
pub(crate) const UNIT_EXTRA: u16 = 1 << 2;
/// Titles before a name (`Mr`, `Dr`).
pub(crate) const TITLE: u16 = 1 << 3;
/// Month names and abbreviations.
pub(crate) const MONTH: u16 = 1 << 4;
/// Weekdays and their abbreviations.
pub(crate) const WEEKDAY: u16 = 1 << 5;
/// `am`/`pm` words.
pub(crate) const AMPM: u16 = 1 << 6;
/// Words that start "Label: value" lines.
pub(crate) const FIELD_LABEL: u16 = 1 << 7;
/// Words that are not a password or username value.
pub(crate) const FILLER: u16 = 1 << 8;
/// Capitalized words that are more often something else than a name.
pub(crate) const NOT_NAME: u16 = 1 << 9;
/// Street types: USPS Publication 28, UK street names, Indian locality words.
pub(crate) const STREET_TYPE: u16 = 1 << 10;
/// First words of Indian states and union territories (`Andhra`, `Goa`).
pub(crate) const INDIAN_STATE: u16 = 1 << 11;
/// The letters and digits that start a built-in context keyword, up to its
/// first other byte (`credit` of `credit card`, `a` of `a/c`): a word that
/// is none of these starts no built-in keyword.
pub(crate) const KEYWORD_START: u16 = 1 << 12;

/// Longest word a table may hold (the key's last byte is the length).
pub(crate) const MAX_LEN: usize = 15;

/// Every table with its bit.
const TABLES: &[(u16, &[&str])] = &[
    (STREET_SUFFIX, STREET_SUFFIXES),
    (UNIT, UNIT_WORDS),
    (UNIT_EXTRA, UNIT_EXTRAS),
    (TITLE, TITLES),
    (MONTH, MONTHS),
    (WEEKDAY, WEEKDAYS),
    (AMPM, AM_PM),
    (FIELD_LABEL, FIELD_LABELS),
    (FILLER, FILLERS),
    (NOT_NAME, crate::names::NOT_NAMES),
    (STREET_TYPE, STREET_TYPES),
];

/// Words (ASCII, case-insensitive) with a bit set each: open addressing,
/// linear probing, two fifths full at most; key 0 (no word is empty) marks
/// an empty slot. Words of up to eight bytes (nine in ten table words and
/// names, and most words of a text) have a `u64` key, longer ones (up to
/// [`MAX_LEN`]) a `u128`: the word tables take about 20 KiB, so lookups, a
/// few per word of text, stay in the first-level cache.
pub(crate) struct WordBits {
    short: Vec<u64>,
    short_bits: Vec<u16>,
    /// `64 - log2(short.len())`: a hash's top bits pick the first slot.
    short_shift: u32,
    long: Vec<u128>,
    long_bits: Vec<u16>,
}

impl WordBits {
    /// Room for `short` words of up to eight bytes and `long` longer ones.
    pub(crate) fn with_capacity(short: usize, long: usize) -> WordBits {
        // At most two fifths full.
        let slots = |n: usize| (n * 5 / 2).max(16).next_power_of_two();
        WordBits {
            short: vec![0; slots(short)],
            short_bits: vec![0; slots(short)],
            short_shift: 64 - slots(short).trailing_zeros(),
            long: vec![0; slots(long)],
            long_bits: vec![0; slots(long)],
        }
    }

    /// Adds `bit` to `word`'s bits; false when the word cannot be held
    /// (empty or longer than [`MAX_LEN`]) or the table is full.
    pub(crate) fn insert(&mut self, word: &[u8], bit: u16) -> bool {
        if let Some(k) = short_key(word) {
            let i = self.short_slot(k);
            insert(&mut self.short, &mut self.short_bits, k, i, bit)
        } else if word.len() > 8
            && let Some(k) = key(word)
        {
            let i = long_slot(k, &self.long);
            insert(&mut self.long, &mut self.long_bits, k, i, bit)
        } else {
            false
        }
    }

    /// The bits of `word`, ASCII case-insensitive; 0 when it is not listed.
    pub(crate) fn get(&self, word: &[u8]) -> u16 {
        if word.len() <= 8 {
            return short_key(word).map_or(0, |k| self.short_bits(k));
        }
        key(word).map_or(0, |k| {
            find(&self.long, &self.long_bits, k, long_slot(k, &self.long))
        })
    }

    /// [`WordBits::get`] of `text[at..at + len]`, reading eight bytes at once
    /// where the text has them.
    #[inline]
    pub(crate) fn get_in(&self, text: &[u8], at: usize, len: usize) -> u16 {
        if !(1..=8).contains(&len) {
            return self.get(text.get(at..at + len).unwrap_or_default());
        }
        let x = match text.get(at..at + 8) {
            Some(b) => {
                let b = <[u8; 8]>::try_from(b).unwrap_or_default();
                u64::from_le_bytes(b) & (u64::MAX >> (64 - 8 * len))
            }
            // Near the text's end (short CSV cells).
            None => return self.get(text.get(at..at + len).unwrap_or_default()),
        };
        short_key_of(x, len).map_or(0, |k| self.short_bits(k))
    }

    #[inline]
    fn short_bits(&self, k: u64) -> u16 {
        find(&self.short, &self.short_bits, k, self.short_slot(k))
    }

    /// The slot to probe from for short key `k`.
    fn short_slot(&self, k: u64) -> usize {
        usize::try_from(k.wrapping_mul(SHORT_HASH) >> self.short_shift).unwrap_or(0)
    }

    #[cfg(test)]
    fn load(&self) -> (usize, usize, usize, usize) {
        (
            self.short.iter().filter(|k| **k != 0).count(),
            self.short.len(),
            self.long.iter().filter(|k| **k != 0).count(),
            self.long.len(),
        )
    }
}

static LEXICON: LazyLock<WordBits> = LazyLock::new(|| {
    let states: Vec<&str> = crate::detect::INDIAN_STATES
        .iter()
        .filter_map(|s| s.split(' ').next())
        .collect();
    let keyword_starts: Vec<&str> = crate::context::builtin()
        .into_iter()
        .map(|(k, _)| crate::context::keyword_start(k))
        .filter(|t| !t.is_empty())
        .collect();
    let tables: Vec<(u16, &[&str])> = TABLES
        .iter()
        .copied()
        .chain([
            (INDIAN_STATE, states.as_slice()),
            (KEYWORD_START, keyword_starts.as_slice()),
        ])
        .collect();
    let all = || tables.iter().flat_map(|(_, words)| words.iter());
    let mut table = WordBits::with_capacity(
        all().filter(|w| w.len() <= 8).count(),
        all().filter(|w| w.len() > 8).count(),
    );
    for &(bit, words) in &tables {
        for w in words {
            table.insert(w.as_bytes(), bit);
        }
    }
    table
});

/// Adds `bit` to key `k`'s entry, from slot `i` on; false when full.
fn insert<K: Copy + Default + PartialEq>(
    keys: &mut [K],
    bits: &mut [u16],
    k: K,
    mut i: usize,
    bit: u16,
) -> bool {
    let mask = keys.len() - 1;
    for _ in 0..keys.len() {
        let (Some(slot), Some(b)) = (keys.get_mut(i), bits.get_mut(i)) else {
            return false;
        };
        if *slot == K::default() {
            *slot = k;
            *b = bit;
            return true;
        }
        if *slot == k {
            *b |= bit;
            return true;
        }
        i = (i + 1) & mask;
    }
    false
}

/// The bits of key `k`, from slot `i` on; 0 when absent.
fn find<K: Copy + Default + PartialEq>(keys: &[K], bits: &[u16], k: K, mut i: usize) -> u16 {
    let mask = keys.len() - 1;
    loop {
        match keys.get(i).copied() {
            Some(x) if x == k => return bits.get(i).copied().unwrap_or(0),
            Some(x) if x != K::default() => i = (i + 1) & mask,
            _ => return 0,
        }
    }
}

/// The slot to probe from for `k` in `keys` (a power of two long).
fn long_slot(k: u128, keys: &[u128]) -> usize {
    let lo = u64::try_from(k & u128::from(u64::MAX)).unwrap_or(0);
    let hi = u64::try_from(k >> 64).unwrap_or(0);
    let h = (lo.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ hi).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    top_bits(h, keys.len())
}

const SHORT_HASH: u64 = 0x9E37_79B9_7F4A_7C15;

/// The top `log2(slots)` bits of `h`.
fn top_bits(h: u64, slots: usize) -> usize {
    let log2 = slots.trailing_zeros();
    if log2 == 0 {
        return 0;
    }
    usize::try_from(h >> (64 - log2)).unwrap_or(0)
}

const HIGH64: u64 = u64::from_le_bytes([0x80; 8]);

/// The short key of `x`, the `len` (1 to 8) bytes of a word, its other
/// bytes 0: ASCII-lowercased, with bit 7 of the last byte set (no ASCII byte
/// has it) to tell `ab` from `ab\0`. `None` for a non-ASCII byte, which no
/// listed word has.
fn short_key_of(x: u64, len: usize) -> Option<u64> {
    if x & HIGH64 != 0 || !(1..=8).contains(&len) {
        return None;
    }
    Some(lower64(x) | (0x80 << (8 * (len - 1))))
}

fn short_key(word: &[u8]) -> Option<u64> {
    if word.len() > 8 {
        return None;
    }
    // Byte by byte: a copy of a variable length would call `memcpy`.
    let x = word
        .iter()
        .rev()
        .fold(0u64, |x, &b| (x << 8) | u64::from(b));
    short_key_of(x, word.len())
}

/// `word` ASCII-lowercased, its length in the last byte; `None` when it is
/// empty or longer than any table word.
fn key(word: &[u8]) -> Option<u128> {
    if word.is_empty() || word.len() > MAX_LEN {
        return None;
    }
    let mut buf = [0u8; 16];
    buf.get_mut(..word.len())?.copy_from_slice(word);
    Some(pack(u128::from_le_bytes(buf), word.len()))
}

/// The key of the `len` (1 to [`MAX_LEN`]) bytes in `x`, whose other bytes are 0.
fn pack(x: u128, len: usize) -> u128 {
    // ASCII lowercase, sixteen bytes at once: a byte gets 0x20 when it is in
    // `A..=Z` (bit 7 of `h + 0x3f` set: >= `A`; of `h + 0x25` clear: < `[`).
    const LOW7: u128 = u128::from_le_bytes([0x7f; 16]);
    const HIGH: u128 = u128::from_le_bytes([0x80; 16]);
    let h = x & LOW7;
    let upper =
        (h + u128::from_le_bytes([0x3f; 16])) & !(h + u128::from_le_bytes([0x25; 16])) & !x & HIGH;
    (x | (upper >> 2)) | (u128::from(u8::try_from(len).unwrap_or(0)) << 120)
}

/// [`pack`]'s lowercasing on eight bytes.
fn lower64(x: u64) -> u64 {
    const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);
    let h = x & LOW7;
    let upper =
        (h + u64::from_le_bytes([0x3f; 8])) & !(h + u64::from_le_bytes([0x25; 8])) & !x & HIGH64;
    x | (upper >> 2)
}

/// The tables that list `text[at..at + len]` (ASCII case-insensitive, whole
/// word), as bits.
#[cfg(test)]
fn lookup_in(text: &[u8], at: usize, len: usize) -> u16 {
    LEXICON.get_in(text, at, len)
}

/// The word tables, for [`WordBits::get_in`] many times over.
pub(crate) fn tables() -> &'static WordBits {
    &LEXICON
}

/// The tables that list `word` (ASCII case-insensitive, whole word), as bits.
#[cfg(test)]
fn lookup(word: &[u8]) -> u16 {
    LEXICON.get(word)
}

/// Street types that are not also common surnames (`Hill`, `Park`, `Green`
/// are both): a capitalized word that is one of these is not part of a name.
const STREET_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr",
    "court",
    "ct",
    "way",
    "place",
    "pl",
    "terrace",
    "ter",
    "circle",
    "cir",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "square",
    "sq",
    "trail",
    "trl",
    "crescent",
    "alley",
    "plaza",
    "route",
    "rte",
    "expressway",
    "fwy",
    "freeway",
    "crossing",
    "xing",
    "ctr",
    "jct",
    "bypass",
    "viaduct",
];

/// Unit words of an address (`Apt`, `Suite`, `#`).
const UNIT_WORDS: &[&str] = &[
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "#",
    "floor",
    "fl",
    "room",
    "rm",
    "bldg",
    "building",
    "flat",
];

/// Words that, like a unit, may come before an address's house number.
const UNIT_EXTRAS: &[&str] = &["studio", "h.no", "house", "plot", "door"];

/// Titles before a name (`Mr`, `Dr`).
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "prof", "mx", "sir", "madam", "mme", "mlle",
];

/// Month names and abbreviations.
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Weekdays and their abbreviations.
const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
];

/// `am`/`pm` words.
const AM_PM: &[&str] = &["am", "pm", "a.m", "p.m", "a.m.", "p.m."];

/// Words that start "Label: value" lines in forms, logs and configs.
const FIELD_LABELS: &[&str] = &[
    "note",
    "notes",
    "error",
    "warning",
    "warn",
    "info",
    "debug",
    "issue",
    "status",
    "date",
    "time",
    "subject",
    "summary",
    "reason",
    "action",
    "result",
    "question",
    "answer",
    "update",
    "fix",
    "todo",
    "example",
    "input",
    "output",
    "response",
    "request",
    "agent",
    "user",
    "admin",
    "support",
    "system",
    "bot",
    "assistant",
    "customer",
    "host",
    "port",
    "server",
    "phone",
    "email",
    "address",
    "name",
    "title",
    "description",
    "comment",
    "comments",
    "tags",
    "type",
    "level",
    "message",
    "source",
    "target",
    "owner",
    "employee",
    "patient",
    "plate",
    "card",
    "account",
    "total",
    "amount",
    "balance",
    "location",
    "department",
    "role",
    "team",
    "project",
    "priority",
    "severity",
    "category",
    "version",
    "build",
    "release",
    "upgrade",
    "step",
    "cause",
    "impact",
    "resolution",
    "attendees",
    "agenda",
    "decision",
    "decisions",
    "owner's",
    "bug",
    "fixture",
    "caller",
    "start",
    "end",
    "id",
    "key",
    "value",
    "url",
    "link",
    "dob",
    "age",
    "sex",
    "gender",
    "allergies",
    "diagnosis",
    "medication",
    "plan",
    "me",
    "you",
    "them",
    "us",
    "everyone",
    "all",
    "team's",
    "tip",
    "hint",
    "to",
    "from",
    "cc",
    "bcc",
    "reminder",
    "re",
    "fw",
    "fwd",
    "username",
    "password",
    "login",
    "reply",
    "quote",
    "edit",
    "ps",
];

/// Words that are not a password or username value.
const FILLERS: &[&str] = &[
    "is",
    "was",
    "and",
    "the",
    "for",
    "to",
    "of",
    "reset",
    "changed",
    "will",
    "must",
    "should",
    "has",
    "have",
    "policy",
    "field",
    "manager",
    "required",
    "expired",
    "incorrect",
    "invalid",
    "wrong",
    "name",
    "account",
    "with",
    "a",
    "an",
    "in",
    "on",
    "or",
    "not",
    "be",
    "been",
    "your",
    "my",
    "our",
    "their",
    "this",
    "that",
];

/// Street types: USPS Publication 28 (Appendix C1) primary names and their
/// standard abbreviations, UK street names, and Indian locality words.
const STREET_TYPES: &[&str] = &[
    "alley",
    "aly",
    "annex",
    "anx",
    "arcade",
    "arc",
    "avenue",
    "ave",
    "av",
    "bayou",
    "beach",
    "bch",
    "bend",
    "bnd",
    "bluff",
    "bluffs",
    "blf",
    "bottom",
    "btm",
    "boulevard",
    "blvd",
    "branch",
    "br",
    "bridge",
    "brg",
    "brook",
    "brooks",
    "brk",
    "burg",
    "burgs",
    "bypass",
    "byp",
    "camp",
    "canyon",
    "cyn",
    "cape",
    "causeway",
    "cswy",
    "center",
    "centre",
    "centers",
    "ctr",
    "circle",
    "circles",
    "cir",
    "cliff",
    "cliffs",
    "club",
    "common",
    "commons",
    "corner",
    "corners",
    "cor",
    "course",
    "court",
    "courts",
    "ct",
    "cove",
    "coves",
    "cv",
    "creek",
    "crk",
    "crescent",
    "cres",
    "crest",
    "crossing",
    "xing",
    "crossroad",
    "crossroads",
    "curve",
    "dale",
    "dam",
    "divide",
    "dv",
    "drive",
    "drives",
    "dr",
    "estate",
    "estates",
    "est",
    "expressway",
    "expy",
    "extension",
    "extensions",
    "ext",
    "falls",
    "fall",
    "ferry",
    "field",
    "fields",
    "flat",
    "flats",
    "ford",
    "fords",
    "forest",
    "forge",
    "forges",
    "fork",
    "forks",
    "fort",
    "ft",
    "freeway",
    "fwy",
    "garden",
    "gardens",
    "gdns",
    "gateway",
    "glen",
    "glens",
    "green",
    "greens",
    "grove",
    "groves",
    "harbor",
    "harbors",
    "harbour",
    "haven",
    "heights",
    "hts",
    "highway",
    "hwy",
    "hill",
    "hills",
    "hollow",
    "inlet",
    "island",
    "islands",
    "isle",
    "junction",
    "junctions",
    "jct",
    "key",
    "keys",
    "knoll",
    "knolls",
    "lake",
    "lakes",
    "landing",
    "lane",
    "ln",
    "light",
    "lights",
    "loaf",
    "lock",
    "locks",
    "lodge",
    "loop",
    "mall",
    "manor",
    "manors",
    "meadow",
    "meadows",
    "mews",
    "mill",
    "mills",
    "mission",
    "motorway",
    "mount",
    "mountain",
    "mountains",
    "mtn",
    "neck",
    "orchard",
    "oval",
    "overpass",
    "park",
    "parks",
    "parkway",
    "parkways",
    "pkwy",
    "pass",
    "passage",
    "path",
    "pike",
    "pine",
    "pines",
    "place",
    "pl",
    "plain",
    "plains",
    "plaza",
    "plz",
    "point",
    "points",
    "pt",
    "port",
    "ports",
    "prairie",
    "radial",
    "ramp",
    "ranch",
    "rapid",
    "rapids",
    "rest",
    "ridge",
    "ridges",
    "rdg",
    "river",
    "riv",
    "road",
    "roads",
    "rd",
    "route",
    "rte",
    "row",
    "rue",
    "run",
    "shoal",
    "shoals",
    "shore",
    "shores",
    "skyway",
    "spring",
    "springs",
    "spur",
    "spurs",
    "square",
    "squares",
    "sq",
    "station",
    "stravenue",
    "stream",
    "street",
    "streets",
    "st",
    "str",
    "summit",
    "terrace",
    "ter",
    "throughway",
    "trace",
    "track",
    "trafficway",
    "trail",
    "trl",
    "trailer",
    "tunnel",
    "turnpike",
    "tpke",
    "underpass",
    "union",
    "unions",
    "valley",
    "valleys",
    "vly",
    "viaduct",
    "via",
    "view",
    "views",
    "village",
    "villages",
    "ville",
    "vista",
    "walk",
    "walks",
    "wall",
    "way",
    "ways",
    "well",
    "wells",
    "wharf",
    "yard",
    "parade",
    "rise",
    "vale",
    "close",
    "nagar",
    "marg",
    "chowk",
    "zila",
    "colony",
    "ganj",
    "bazar",
    "bazaar",
    "gali",
    "galli",
    "sector",
    "layout",
    "puram",
    "enclave",
    "vihar",
    "bagh",
    "peth",
    "wadi",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn is(word: &[u8], tables: u16) -> bool {
        lookup(word) & tables != 0
    }

    #[test]
    fn every_table_word_is_found_in_any_case_and_only_whole() {
        for (bit, words) in TABLES {
            for w in *words {
                assert!(w.len() <= MAX_LEN, "{w}");
                // `Word::lex` looks up only words of these bytes.
                assert!(
                    w.bytes()
                        .all(|c| c.is_ascii_lowercase() || b".#'".contains(&c)),
                    "{w}"
                );
                assert!(is(w.as_bytes(), *bit), "{w}");
                assert!(is(w.to_ascii_uppercase().as_bytes(), *bit), "{w}");
            }
        }
        assert_eq!(lookup(b"streets"), STREET_TYPE);
        assert_eq!(
            lookup(b"Street"),
            STREET_SUFFIX | STREET_TYPE | NOT_NAME | KEYWORD_START
        );
        // Every built-in keyword's first letters and digits, in any case.
        for (k, _) in crate::context::builtin() {
            let start = crate::context::keyword_start(k);
            assert!((1..=MAX_LEN).contains(&start.len()), "{k}");
            assert!(is(start.as_bytes(), KEYWORD_START), "{k}");
            assert!(
                is(start.to_ascii_uppercase().as_bytes(), KEYWORD_START),
                "{k}"
            );
        }
        assert!(!is(b"zebra", KEYWORD_START));
        assert_eq!(lookup(b"street\0"), 0);
        assert_eq!(lookup(b"stree"), 0);
        assert_eq!(lookup(b""), 0);
        // The packed lowercase is ASCII's, byte by byte.
        for c in 0..=255u8 {
            let word = [b'a', c, b'z'];
            let lower = [b'a', c.to_ascii_lowercase(), b'z'];
            let k = u128::from_le_bytes([
                lower[0], lower[1], lower[2], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
            ]);
            assert_eq!(key(&word), Some(k), "{c}");
        }
        assert_eq!(lookup(b"0123456789abcdefg"), 0);
        assert_eq!(lookup("Stra\u{df}e".as_bytes()), 0);
        // Two fifths full at most: misses (most words) end at the first slot or two.
        let (short, short_slots, long, long_slots) = LEXICON.load();
        assert!(short * 5 <= short_slots * 2, "{short}");
        assert!(long * 5 <= long_slots * 2, "{long}");
        // Eight bytes and more, both tables, and the byte after a short word.
        assert_ne!(lookup(b"September") & MONTH, 0);
        assert_ne!(lookup(b"SEPT") & MONTH, 0);
        assert_eq!(lookup(b"sept\0"), 0);
        assert_eq!(lookup(b"sep\xf4"), 0);
        // In a text, with or without sixteen bytes after the word.
        let text = b"x Avenue, then MARCH";
        assert_eq!(lookup_in(text, 2, 6), lookup(b"avenue"));
        assert_eq!(lookup_in(text, 15, 5), lookup(b"march"));
        assert_ne!(lookup(b"march") & MONTH, 0);
        assert_eq!(lookup_in(text, 15, 4), 0);
        assert_eq!(lookup_in(text, 0, 0), 0);
    }
}

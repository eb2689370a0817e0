//! Name dictionaries: the US Census Bureau's 1990 first names and surnames
//! (public domain; see `data/README.md`), embedded in the binary.

use foldhash::HashSet;

static FIRST: &str = include_str!("../data/first-names.txt");
static LAST: &str = include_str!("../data/surnames.txt");

/// Lowercased name sets.
pub(crate) struct Names {
    first: HashSet<&'static str>,
    last: HashSet<&'static str>,
}

/// Capitalized words that are also common first names or surnames but, as a
/// sentence's first word or in a heading, are far more often something else.
const NOT_NAMES: &[&str] = &[
    "will",
    "may",
    "june",
    "april",
    "august",
    "can",
    "long",
    "young",
    "white",
    "black",
    "brown",
    "green",
    "king",
    "hill",
    "wood",
    "street",
    "road",
    "lane",
    "park",
    "case",
    "ward",
    "page",
    "bill",
    "mark",
    "grant",
    "hope",
    "faith",
    "joy",
    "price",
    "rich",
    "west",
    "north",
    "south",
    "east",
    "new",
    "the",
    "and",
    "for",
    "but",
    "not",
    "all",
    "are",
    "see",
    "day",
    "date",
    "time",
    "email",
    "phone",
    "card",
    "name",
    "number",
    "account",
    "order",
    "total",
    "note",
    "notes",
    "please",
    "thanks",
    "thank",
    "dear",
    "hello",
    "best",
    "kind",
    "regards",
    "patient",
    "customer",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "july",
    "september",
    "october",
    "november",
    "december",
    "christmas",
    "admin",
    "user",
    "test",
    "main",
    "court",
    "avenue",
    "drive",
    "way",
    "place",
    "center",
    "st",
    "ave",
    "blvd",
    "apt",
    "suite",
    "unit",
    "box",
    "city",
    "state",
    "county",
    "bank",
    "visa",
    "my",
    "your",
    "our",
    "his",
    "her",
    "their",
];

impl Names {
    pub(crate) fn load() -> Names {
        // The sets hold the embedded capitalized spellings; lookups capitalize.
        Names {
            first: FIRST.lines().filter(|l| !l.is_empty()).collect(),
            last: LAST.lines().filter(|l| !l.is_empty()).collect(),
        }
    }

    /// Whether `word` (capitalized as written: `Maria`, `MARIA`) is a first name.
    pub(crate) fn is_first(&self, word: &str) -> bool {
        self.lookup(&self.first, word)
    }

    /// Whether `word` is a surname.
    pub(crate) fn is_last(&self, word: &str) -> bool {
        self.lookup(&self.last, word)
    }

    /// Whether a capitalized `word` is, on its own, more likely a common word.
    pub(crate) fn is_common_word(word: &str) -> bool {
        let mut buf = [0u8; 16];
        let Some(lower) = lower_into(word, &mut buf) else {
            return false;
        };
        NOT_NAMES.contains(&lower)
    }

    fn lookup(&self, set: &HashSet<&'static str>, word: &str) -> bool {
        // The dictionaries are ASCII, capitalized (`Maria`): normalize to that.
        let bytes = word.as_bytes();
        if bytes.len() < 2 || bytes.len() > 24 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return false;
        }
        let mut buf = [0u8; 24];
        for (i, (d, s)) in buf.iter_mut().zip(bytes).enumerate() {
            *d = if i == 0 {
                s.to_ascii_uppercase()
            } else {
                s.to_ascii_lowercase()
            };
        }
        match std::str::from_utf8(buf.get(..bytes.len()).unwrap_or_default()) {
            Ok(key) => set.contains(key),
            Err(_) => false,
        }
    }
}

fn lower_into<'a>(word: &str, buf: &'a mut [u8; 16]) -> Option<&'a str> {
    let bytes = word.as_bytes();
    if bytes.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = s.to_ascii_lowercase();
    }
    std::str::from_utf8(buf.get(..bytes.len())?).ok()
}

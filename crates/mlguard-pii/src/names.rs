//! Name dictionaries: the US Census Bureau's 1990 first names and surnames
//! (public domain; see `data/README.md`), embedded in the binary.

use foldhash::HashSet;

static FIRST: &str = include_str!("../data/first-names.txt");
static LAST: &str = include_str!("../data/surnames.txt");

/// Lowercased name sets.
pub(crate) struct Names {
    first: HashSet<&'static [u8]>,
    last: HashSet<&'static [u8]>,
}

/// Capitalized words that are also common first names or surnames but, as a
/// sentence's first word or in a heading, are far more often something else
/// (looked up through [`crate::lexicon::NOT_NAME`]).
pub(crate) const NOT_NAMES: &[&str] = &[
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
            first: FIRST
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::as_bytes)
                .collect(),
            last: LAST
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::as_bytes)
                .collect(),
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

    fn lookup(&self, set: &HashSet<&'static [u8]>, word: &str) -> bool {
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
        buf.get(..bytes.len()).is_some_and(|key| set.contains(key))
    }
}

//! Name dictionaries: the US Census Bureau's 1990 first names and surnames
//! (public domain; see `data/README.md`), embedded in the binary.

use crate::lexicon::WordBits;

static FIRST: &str = include_str!("../data/first-names.txt");
static LAST: &str = include_str!("../data/surnames.txt");

const FIRST_NAME: u16 = 1;
const LAST_NAME: u16 = 2;

/// Both name lists in one [`WordBits`] set (ASCII case-insensitive), a bit
/// for each list, so a lookup hashes and compares registers, not strings.
pub(crate) struct Names {
    set: WordBits,
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
        let lists = [(FIRST, FIRST_NAME), (LAST, LAST_NAME)];
        let names = || lists.iter().flat_map(|(list, _)| list.lines());
        let mut set = WordBits::with_capacity(
            names().filter(|n| n.len() <= 8).count(),
            names().filter(|n| n.len() > 8).count(),
        );
        // The embedded lists are capitalized ASCII letters (`Maria`), at
        // most 13 of them; a test checks every one is found.
        for (list, bit) in lists {
            for name in list.lines() {
                set.insert(name.as_bytes(), bit);
            }
        }
        Names { set }
    }

    /// Whether `word` (capitalized as written: `Maria`, `MARIA`) is a first name.
    #[cfg(test)]
    pub(crate) fn is_first(&self, word: &str) -> bool {
        self.lookup(word) & FIRST_NAME != 0
    }

    /// Whether `word` is a surname.
    pub(crate) fn is_last(&self, word: &str) -> bool {
        self.lookup(word) & LAST_NAME != 0
    }

    /// The name lists (`FIRST_NAME`, `LAST_NAME` bits) that hold
    /// `text[at..at + len]`, read from the text without a copy.
    fn lookup_in(&self, text: &[u8], at: usize, len: usize) -> u16 {
        if len < 2 {
            return 0;
        }
        self.set.get_in(text, at, len)
    }

    /// [`Names::is_first`] of `text[at..at + len]`.
    pub(crate) fn is_first_in(&self, text: &[u8], at: usize, len: usize) -> bool {
        self.lookup_in(text, at, len) & FIRST_NAME != 0
    }

    /// [`Names::is_last`] of `text[at..at + len]`.
    pub(crate) fn is_last_in(&self, text: &[u8], at: usize, len: usize) -> bool {
        self.lookup_in(text, at, len) & LAST_NAME != 0
    }

    /// Any capitalization matches (`Maria`, `MARIA`, `maria`).
    fn lookup(&self, word: &str) -> u16 {
        self.lookup_in(word.as_bytes(), 0, word.len())
    }
}

#[cfg(test)]
mod tests {
    use super::{FIRST, LAST, Names};

    #[test]
    fn every_listed_name_is_found_in_any_case_and_nothing_else() {
        let names = Names::load();
        for (list, is) in [
            (FIRST, Names::is_first as fn(&Names, &str) -> bool),
            (LAST, Names::is_last),
        ] {
            for name in list.lines().filter(|l| !l.is_empty()) {
                assert!(is(&names, name), "{name}");
                assert!(is(&names, &name.to_ascii_uppercase()), "{name}");
                assert!(is(&names, &name.to_ascii_lowercase()), "{name}");
                assert!(!is(&names, &format!("{name}x1")), "{name}");
            }
        }
        // Read from a text: with eight bytes after the name, and at its end.
        for (list, is) in [
            (
                FIRST,
                Names::is_first_in as fn(&Names, &[u8], usize, usize) -> bool,
            ),
            (LAST, Names::is_last_in),
        ] {
            for name in list.lines().filter(|l| !l.is_empty()) {
                let text = format!("Dear {name}, thanks");
                assert!(is(&names, text.as_bytes(), 5, name.len()), "{name}");
                assert!(!is(&names, text.as_bytes(), 5, name.len() + 1), "{name}");
                let text = format!("to {}", name.to_ascii_uppercase());
                assert!(is(&names, text.as_bytes(), 3, name.len()), "{name}");
            }
        }
        assert!(names.is_first("Maria") && names.is_last("Garcia"));
        assert!(!names.is_first("M") && !names.is_first("") && !names.is_first("Amélie"));
        assert!(!names.is_last("Garciagarciagarcia"));
    }
}

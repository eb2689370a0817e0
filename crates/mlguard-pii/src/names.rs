//! Name dictionaries: the US Census Bureau's 1990 first names and surnames
//! (public domain; see `data/README.md`), embedded in the binary.

use foldhash::HashSet;

use crate::lexicon;

static FIRST: &str = include_str!("../data/first-names.txt");
static LAST: &str = include_str!("../data/surnames.txt");

/// Name sets: each name keyed as the word tables key a word
/// ([`lexicon::key`]: ASCII-lowercased, packed into a `u128`; the dictionaries
/// are ASCII letters, at most 13 of them), so a lookup hashes and compares
/// registers, not strings.
pub(crate) struct Names {
    first: HashSet<u128>,
    last: HashSet<u128>,
}

/// The key of `word` when it is ASCII letters (all a name can be).
fn packed(word: &[u8]) -> Option<u128> {
    word.iter()
        .all(u8::is_ascii_alphabetic)
        .then(|| lexicon::key(word))
        .flatten()
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
        // The embedded lists are capitalized ASCII (`Maria`); a name that
        // cannot be packed (none) would be left out.
        let set = |list: &'static str| list.lines().filter_map(|l| packed(l.as_bytes())).collect();
        Names {
            first: set(FIRST),
            last: set(LAST),
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

    fn lookup(&self, set: &HashSet<u128>, word: &str) -> bool {
        // Any capitalization matches (`Maria`, `MARIA`, `maria`), as the
        // dictionaries' capitalized spellings did after normalizing to them.
        let bytes = word.as_bytes();
        bytes.len() >= 2 && packed(bytes).is_some_and(|k| set.contains(&k))
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
        assert!(names.is_first("Maria") && names.is_last("Garcia"));
        assert!(!names.is_first("M") && !names.is_first("") && !names.is_first("Amélie"));
        assert!(!names.is_last("Garciagarciagarcia"));
    }
}

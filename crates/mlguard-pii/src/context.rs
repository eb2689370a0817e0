//! Context keywords: words that, near a candidate, make a type more likely
//! (Macie's keywords and `maximumMatchDistance`) or less likely ("order",
//! "tracking", "version"). Whole words only, ASCII case-insensitive: a trie
//! of the keywords is walked from each place a keyword can start (a keyword's
//! first byte after a byte that is not a letter or digit), for the longest
//! keyword there. The word splitter gives the places run by run, so finding
//! keywords needs no pass of its own over the bytes.

use crate::lexicon;
use crate::types::PiiType;

/// A keyword found in the text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Types this keyword supports (bits of [`PiiType::bit`]).
    pub(crate) types: u64,
    /// Index of the keyword in the automaton (custom identifiers ask for theirs).
    pub(crate) id: usize,
}

/// Longest keyword accepted (bytes); custom keywords are at most 90 characters.
pub(crate) const MAX_KEYWORD: usize = 90 * 4;

/// Bit for a keyword that argues against personal data ("order", "sku", ...).
pub(crate) const NEGATIVE: u64 = 1 << 63;

/// The built-in keywords and the types they support.
#[rustfmt::skip]
pub(crate) fn builtin() -> Vec<(&'static str, u64)> {
    use PiiType::*;
    let table: &[(PiiType, &[&str])] = &[
        (BankAccountNumber, &["account number", "account no", "acct", "account #", "bank account", "checking account", "savings account", "a/c", "account num", "account", "direct deposit", "deposit to", "credited to", "wire to"]),
        (BankRouting, &["routing", "routing number", "aba", "rtn", "transit number", "routing no"]),
        (CreditDebitNumber, &["card", "credit card", "debit card", "visa", "mastercard", "amex", "cc", "card number", "card no", "payment card", "cc#"]),
        (CreditDebitCvv, &["cvv", "cvc", "cvv2", "cvc2", "cid", "security code", "card verification", "csc"]),
        (CreditDebitExpiry, &["exp", "expiry", "expires", "expiration", "valid thru", "valid through", "exp date", "expiry date", "expiration date"]),
        (Pin, &["pin", "pin code", "pin number", "atm pin", "access code", "door code", "gate code", "lockbox code", "alarm code"]),
        (Ssn, &["ssn", "social security", "social security number", "ss#", "soc sec", "ssn#"]),
        (Phone, &["phone", "tel", "telephone", "mobile", "cell", "fax", "phone number", "call", "contact number", "ph", "mob", "number", "reach", "reach at", "reach me", "text me", "whatsapp", "sms", "emergency contact", "contact", "dial", "phone no"]),
        (PassportNumber, &["passport", "passport number", "passport no", "passport #"]),
        (DriverId, &["driver", "driver's license", "drivers license", "driver license", "driving licence", "driver's licence", "dl", "dl#", "license number", "licence number", "driver id"]),
        (Age, &["age", "aged", "age:"]),
        (Username, &["username", "user name", "user", "login", "user id", "userid", "handle", "screen name", "logged in as", "account name", "twitter", "instagram", "github", "nickname", "alias", "dm from", "gamertag", "account handle", "owner"]),
        (Password, &["password", "passwd", "pwd", "passcode", "pass", "pw", "passphrase"]),
        (AwsSecretKey, &["aws_secret_access_key", "secret access key", "secret key", "secret_key", "aws secret", "secretaccesskey", "aws_secret_key"]),
        (LicensePlate, &["license plate", "licence plate", "plate", "registration", "number plate", "plate number", "tag number", "reg", "plates", "registration number", "reg no", "vehicle registration"]),
        (UkNationalInsuranceNumber, &["national insurance", "nino", "ni number", "nin", "insurance number"]),
        (CaSocialInsuranceNumber, &["sin", "social insurance", "social insurance number", "numéro d'assurance sociale"]),
        (UsIndividualTaxIdentificationNumber, &["itin", "taxpayer identification", "tax id", "individual taxpayer", "tin"]),
        (UkUniqueTaxpayerReferenceNumber, &["utr", "unique taxpayer reference", "taxpayer reference", "self assessment", "tax reference"]),
        (InPermanentAccountNumber, &["pan", "permanent account number", "pan card", "income tax"]),
        (InNrega, &["nrega", "mgnrega", "job card", "nrega job card"]),
        (InternationalBankAccountNumber, &["iban", "international bank account"]),
        (SwiftCode, &["swift", "bic", "swift code", "bic code", "swift/bic"]),
        (UkNationalHealthServiceNumber, &["nhs", "nhs number", "nhs no", "health service"]),
        (CaHealthNumber, &["health card", "health number", "ohip", "health insurance number", "phn", "care card", "health card number"]),
        (InAadhaar, &["aadhaar", "aadhar", "uidai", "uid"]),
        (InVoterNumber, &["voter", "voter id", "epic", "electoral", "voter number", "epic no"]),
        (Name, &["name", "full name", "mr", "mrs", "ms", "miss", "dr", "prof", "dear", "patient", "customer", "employee", "contact", "signed", "regards", "sincerely", "attn", "client", "member", "applicant", "spouse", "cardholder", "holder", "first name", "last name", "surname", "hi", "hello", "ask", "tell", "thank you", "hey", "ping", "worker", "owner", "resident", "kyc for", "prescription for", "name on card", "issued to", "belongs to", "letter to", "registered to", "best", "cheers", "employee record", "emergency contact", "signed by", "author", "assignee", "reporter", "lead", "guardian", "beneficiary", "insured", "policyholder", "given names", "my name is", "name is", "i'm", "i am", "this is", "remittance to", "application for", "summary for", "call with", "meeting with"]),
        (Address, &["address", "addr", "lives at", "located at", "ship to", "shipping address", "mailing address", "billing address", "home address", "residence", "street"]),
        (VehicleIdentificationNumber, &["vin", "vehicle identification", "chassis number", "vin#"]),
        (IpAddress, &["ip", "ip address", "host", "server", "client ip", "remote addr", "source ip", "ipv4", "ipv6"]),
        (MacAddress, &["mac", "mac address", "hwaddr", "ether", "bssid"]),
        (DateTime, &["dob", "born", "birthday", "date of birth"]),
    ];
    let negative = [
        "order", "order #", "order no", "invoice", "tracking", "tracking number", "sku", "ticket",
        "version", "build", "serial", "serial number", "part", "part number", "model", "isbn",
        "transaction", "txn", "item", "batch", "commit", "sha", "hash", "checksum",
        "uuid", "request id", "job id", "issue", "pr", "line", "port", "pid",
        "ref", "receipt", "confirmation", "patch", "section", "chapter", "firmware", "release",
        "aws account", "account id", "batch total", "reference", "units", "step", "shipment", "tracking id", "kms", "iam", "arn", "aws", "part number", "part no", "catalog", "model number", "block", "gas used", "tx", "height",
    ];
    let mut out: Vec<(&'static str, u64)> = Vec::new();
    for (t, words) in table {
        for w in *words {
            match out.iter_mut().find(|(k, _)| k == w) {
                Some((_, bits)) => *bits |= t.bit(),
                None => out.push((w, t.bit())),
            }
        }
    }
    for w in negative {
        match out.iter_mut().find(|(k, _)| *k == w) {
            Some((_, bits)) => *bits |= NEGATIVE,
            None => out.push((w, NEGATIVE)),
        }
    }
    out
}

/// The letters and digits a keyword starts with, up to its first other byte
/// (`credit` of `credit card`, `a` of `a/c`, nothing of `#ref`).
pub(crate) fn keyword_start(keyword: &str) -> &str {
    let n = keyword
        .bytes()
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    keyword.get(..n).unwrap_or_default()
}

/// The keyword trie: built-in keywords first, then every custom
/// identifier's keywords (their ids are returned by [`Keywords::new`]).
pub(crate) struct Keywords {
    /// Dense transitions: `next[node * classes + class]`, 0 for none, with
    /// [`ENDS`] set when a keyword ends at the node.
    next: Vec<u32>,
    /// Per node: the keyword ending there, or `NONE`.
    ends: Vec<u32>,
    /// Number of byte classes (class 0: bytes no keyword holds).
    classes: usize,
    /// Per byte: its class, ASCII case folded.
    class: [u8; 256],
    types: Vec<u64>,
    /// Per byte: [`ALNUM`] for ASCII letters and digits, [`START`] for the
    /// bytes a keyword can start with (both ASCII cases).
    kinds: [u8; 256],
    /// Whether a keyword starts with ASCII whitespace.
    spaced: bool,
    /// Whether the keywords are the built-in ones, each starting with a
    /// letter or digit, so [`lexicon::KEYWORD_START`] says which words can
    /// start one.
    builtin_only: bool,
}

const ALNUM: u8 = 1;
const START: u8 = 2;
/// No keyword ends at a node.
const NONE: u32 = u32::MAX;
/// Set in a transition into a node a keyword ends at.
const ENDS: u32 = 1 << 31;
/// The trie's root (node 0 is "no transition").
const ROOT: usize = 1;

impl Keywords {
    /// Builds the trie; `extra` are custom keywords (types 0). Returns the
    /// keyword ids of `extra` in order.
    pub(crate) fn new(extra: &[String]) -> (Keywords, Vec<usize>) {
        let mut words: Vec<String> = Vec::new();
        let mut types: Vec<u64> = Vec::new();
        for (w, bits) in builtin() {
            words.push(w.to_owned());
            types.push(bits);
        }
        let builtins = words.len();
        // Custom keywords share an id with an equal built-in one: one keyword
        // is reported per place.
        let mut ids = Vec::new();
        for w in extra {
            let lower = w.to_lowercase();
            match words.iter().position(|x| x.eq_ignore_ascii_case(&lower)) {
                Some(id) => ids.push(id),
                None => {
                    ids.push(words.len());
                    words.push(lower);
                    types.push(0);
                }
            }
        }
        // Byte classes: one per (ASCII-lowercased) byte a keyword holds.
        let mut class = [0u8; 256];
        let mut classes = 1;
        for w in &words {
            for b in w.bytes().map(|b| b.to_ascii_lowercase()) {
                if class.get(usize::from(b)) == Some(&0) && classes < 256 {
                    #[expect(clippy::cast_possible_truncation, reason = "classes < 256")]
                    let c = classes as u8;
                    for x in [b, b.to_ascii_uppercase()] {
                        if let Some(slot) = class.get_mut(usize::from(x)) {
                            *slot = c;
                        }
                    }
                    classes += 1;
                }
            }
        }
        // Node 0: no transition; node 1: the root.
        let mut next = vec![0u32; 2 * classes];
        let mut ends = vec![NONE, NONE];
        for (id, w) in words.iter().enumerate() {
            let mut node = ROOT;
            for b in w.bytes() {
                let slot =
                    node * classes + usize::from(class.get(usize::from(b)).copied().unwrap_or(0));
                match next.get(slot).copied() {
                    Some(n) if n != 0 => node = n as usize,
                    _ => {
                        let n = ends.len();
                        ends.push(NONE);
                        next.resize(next.len() + classes, 0);
                        if let Some(t) = next.get_mut(slot) {
                            // (Ids stay below `ENDS`: a trie of 2³¹ nodes
                            // would not fit in memory.)
                            *t = u32::try_from(n).ok().filter(|n| n & ENDS == 0).unwrap_or(0);
                        }
                        node = n;
                    }
                }
            }
            // The first of equal keywords keeps the place (there are none:
            // custom ones share the id of an equal keyword).
            if let Some(e) = ends.get_mut(node)
                && *e == NONE
            {
                *e = u32::try_from(id).unwrap_or(NONE);
            }
        }
        // Mark the transitions into a node a keyword ends at.
        for t in &mut next {
            if *t != 0 && ends.get(*t as usize).is_some_and(|&e| e != NONE) {
                *t |= ENDS;
            }
        }
        let mut kinds = [0; 256];
        for (b, kind) in (0..=u8::MAX).zip(kinds.iter_mut()) {
            if b.is_ascii_alphanumeric() {
                *kind = ALNUM;
            }
        }
        for w in &words {
            if let Some(&b) = w.as_bytes().first() {
                for c in [b, b.to_ascii_lowercase(), b.to_ascii_uppercase()] {
                    if let Some(kind) = kinds.get_mut(usize::from(c)) {
                        *kind |= START;
                    }
                }
            }
        }
        let spaced = (0..=u8::MAX)
            .zip(kinds)
            .any(|(b, kind)| kind & START != 0 && b.is_ascii_whitespace());
        let builtin_only = words.len() == builtins
            && words
                .iter()
                .all(|w| (1..=lexicon::MAX_LEN).contains(&keyword_start(w).len()));
        (
            Keywords {
                next,
                ends,
                classes,
                class,
                types,
                kinds,
                spaced,
                builtin_only,
            },
            ids,
        )
    }

    /// The longest keyword starting at `at`: its id and end.
    fn longest_at(&self, bytes: &[u8], at: usize) -> Option<(usize, usize)> {
        let mut node = ROOT;
        // The last node a keyword ends at, and the length there.
        let (mut last, mut len) = (0, 0);
        for (k, &b) in bytes.get(at..).unwrap_or_default().iter().enumerate() {
            let c = usize::from(self.class.get(usize::from(b)).copied().unwrap_or(0));
            let t = self.next.get(node * self.classes + c).copied().unwrap_or(0);
            if t == 0 {
                break;
            }
            node = (t & !ENDS) as usize;
            // Without a branch: keywords end at unpredictable places.
            if t & ENDS != 0 {
                (last, len) = (node, k + 1);
            }
        }
        let id = self.ends.get(last).copied().unwrap_or(NONE);
        (id != NONE).then_some((id as usize, at + len))
    }

    /// Every whole-word keyword occurrence in `text`, ordered by end. At each
    /// place a keyword can start (after a byte that is not an ASCII letter or
    /// digit), the longest keyword there is taken; when a letter or digit
    /// follows it, it is not a whole word and nothing is reported there
    /// ("card numbers" is neither "card number" nor "card"). The next keyword
    /// starts after its end.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Hit>) {
        out.clear();
        let bytes = text.as_bytes();
        let mut skip = 0;
        self.find_in_run(bytes, 0, bytes.len(), false, &mut skip, out);
    }

    /// Whether [`lexicon::KEYWORD_START`] tells which words start a keyword.
    pub(crate) fn builtin_only(&self) -> bool {
        self.builtin_only
    }

    /// Whether a keyword starts with ASCII whitespace (a custom one may):
    /// then [`Keywords::find_in_run`] cannot be given whitespace-free runs.
    pub(crate) fn starts_with_space(&self) -> bool {
        self.spaced
    }

    /// [`Keywords::find`]'s work on `bytes[start..end]`, which the caller
    /// gives run by run, in order, with the same `skip` (places before it are
    /// inside the last keyword taken, which may reach into later runs). The
    /// byte before `start` is not a letter or digit. `plain`: every byte of
    /// the run is an ASCII letter or digit, so a keyword can start only at
    /// `start`.
    pub(crate) fn find_in_run(
        &self,
        bytes: &[u8],
        start: usize,
        end: usize,
        plain: bool,
        skip: &mut usize,
        out: &mut Vec<Hit>,
    ) {
        if plain {
            if start >= *skip && bytes.get(start).is_some_and(|&b| self.kind(b) & START != 0) {
                self.take(bytes, start, skip, out);
            }
            return;
        }
        let mut prev = 0;
        for (at, &b) in bytes.get(start..end).unwrap_or_default().iter().enumerate() {
            let kind = self.kind(b);
            if kind & START != 0 && prev & ALNUM == 0 && start + at >= *skip {
                self.take(bytes, start + at, skip, out);
            }
            prev = kind;
        }
    }

    fn kind(&self, b: u8) -> u8 {
        self.kinds.get(usize::from(b)).copied().unwrap_or(0)
    }

    /// The longest keyword at `at`, reported when it is a whole word.
    fn take(&self, bytes: &[u8], at: usize, skip: &mut usize, out: &mut Vec<Hit>) {
        let Some((id, end)) = self.longest_at(bytes, at) else {
            return;
        };
        if !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            out.push(Hit {
                start: at,
                end,
                types: self.types.get(id).copied().unwrap_or(0),
                id,
            });
        }
        *skip = end;
    }

    /// Type bits of the keywords in a column or field name (`customer_ssn` →
    /// SSN and NAME): the name's `_`, `-` and `.` read as spaces.
    pub(crate) fn column_bits(&self, column: &str) -> u64 {
        let spaced: String = column
            .chars()
            .map(|c| if matches!(c, '_' | '-' | '.') { ' ' } else { c })
            .collect();
        // camelCase: split before each uppercase letter that follows a lowercase one.
        let mut split = String::with_capacity(spaced.len() + 4);
        let mut prev_lower = false;
        for c in spaced.chars() {
            if c.is_ascii_uppercase() && prev_lower {
                split.push(' ');
            }
            prev_lower = c.is_ascii_lowercase();
            split.push(c);
        }
        let mut hits = Vec::new();
        self.find(&split, &mut hits);
        hits.iter().fold(0, |acc, h| acc | h.types)
    }
}

/// The keyword hits of one text, queried by distance.
pub(crate) struct Context<'a> {
    pub(crate) hits: &'a [Hit],
    /// [`index_hits`] of `hits`.
    pub(crate) index: &'a [u32],
    /// Types a column or field name supports for the whole text.
    pub(crate) column: u64,
}

/// Bytes of text per [`index_hits`] entry.
const BUCKET_LOG2: u32 = 5;

/// Where the hits ending in each 32-byte stretch of a `len`-byte text begin:
/// entry `b` is the number of hits ending before byte `b * 32`. Hits are
/// ordered by end; the scan asks "the first hit ending at or after p" for
/// every few words, and this answers it without a binary search.
pub(crate) fn index_hits(hits: &[Hit], len: usize, index: &mut Vec<u32>) {
    index.clear();
    if hits.len() < 16 || u32::try_from(hits.len()).is_err() {
        // A binary search over a few hits is quick; a count past `u32` is not
        // representable. Every query searches.
        return;
    }
    let mut first = 0;
    for b in 0..=(len >> BUCKET_LOG2) + 1 {
        let at = b << BUCKET_LOG2;
        while hits.get(first).is_some_and(|h| h.end < at) {
            first += 1;
        }
        index.push(u32::try_from(first).unwrap_or(u32::MAX));
    }
}

impl Context<'_> {
    /// The first hit ending at or after byte `at`
    /// (`hits.partition_point(|h| h.end < at)`).
    pub(crate) fn first_ending_from(&self, at: usize) -> usize {
        let Some(&from) = self.index.get(at >> BUCKET_LOG2) else {
            return self.hits.partition_point(|h| h.end < at);
        };
        let mut first = from as usize;
        while self.hits.get(first).is_some_and(|h| h.end < at) {
            first += 1;
        }
        first
    }

    /// Whether a keyword for any of `types` ends at most `distance` bytes
    /// before `start` (or the column name supports it).
    pub(crate) fn before(&self, types: u64, start: usize, distance: usize) -> bool {
        self.column & types != 0 || self.hit_before(types, start, distance)
    }

    /// Whether a keyword hit carrying any of `bits` ends within `distance`
    /// bytes before `start`.
    fn hit_before(&self, bits: u64, start: usize, distance: usize) -> bool {
        let first = self.first_ending_from(start.saturating_sub(distance));
        self.hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= start)
            .any(|h| h.types & bits != 0)
    }

    /// Whether a keyword for `types` starts within `distance` bytes after `end`.
    pub(crate) fn after(&self, types: u64, end: usize, distance: usize) -> bool {
        let first = self.first_ending_from(end + 1);
        // Hits are ordered by end; no keyword is longer than MAX_KEYWORD bytes.
        let limit = end + distance + MAX_KEYWORD;
        self.hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= limit)
            .filter(|h| h.start >= end && h.start <= end + distance)
            .any(|h| h.types & types != 0)
    }

    /// Whether a keyword ends within `distance` bytes before `start` or starts
    /// within `distance` after `end`.
    pub(crate) fn near(&self, types: u64, start: usize, end: usize, distance: usize) -> bool {
        self.before(types, start, distance) || self.after(types, end, distance)
    }

    /// Whether a negative keyword is within `distance` before `start`.
    pub(crate) fn negative_before(&self, start: usize, distance: usize) -> bool {
        self.hit_before(NEGATIVE, start, distance)
    }
}

#[cfg(test)]
mod tests {
    use super::{Context, Hit, Keywords, builtin, index_hits};

    #[test]
    fn the_hit_index_answers_as_a_binary_search_does() {
        // Hits ordered by end, some sharing an end, gaps wider than a bucket.
        let ends = [
            3, 3, 40, 41, 41, 41, 100, 101, 130, 250, 251, 252, 253, 254, 255, 256, 300, 301, 640,
        ];
        let hits: Vec<Hit> = ends
            .iter()
            .map(|&end| Hit {
                start: end - 2,
                end,
                types: 0,
                id: 0,
            })
            .collect();
        for len in [640, 700] {
            let mut index = Vec::new();
            index_hits(&hits, len, &mut index);
            assert!(!index.is_empty());
            let ctx = Context {
                hits: &hits,
                index: &index,
                column: 0,
            };
            for at in 0..len + 100 {
                assert_eq!(
                    ctx.first_ending_from(at),
                    hits.partition_point(|h| h.end < at),
                    "{at}"
                );
            }
        }
        // Few hits: no index, the same answers.
        let mut index = Vec::new();
        index_hits(&hits[..3], 640, &mut index);
        assert!(index.is_empty());
    }

    /// Whole-word keywords by brute force: at each place after a byte that is
    /// not a letter or digit, the longest keyword (ASCII case-insensitive);
    /// reported when no letter or digit follows; the next place after it.
    fn naive(words: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.len() {
            if at > 0 && b[at - 1].is_ascii_alphanumeric() {
                at += 1;
                continue;
            }
            let best = words
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    b.len() >= at + w.len()
                        && b[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
                })
                .max_by_key(|(_, w)| w.len());
            match best {
                Some((id, w)) => {
                    let end = at + w.len();
                    if !b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                        out.push((at, end, id));
                    }
                    at = end;
                }
                None => at += 1,
            }
        }
        out
    }

    #[test]
    fn finds_what_brute_force_finds() {
        let extra = vec![
            "Numéro de client".to_owned(),
            "#ref".to_owned(),
            "SSN".to_owned(),
        ];
        let (k, ids) = Keywords::new(&extra);
        let mut words: Vec<String> = builtin().iter().map(|(w, _)| (*w).to_owned()).collect();
        words.push("numéro de client".to_owned());
        words.push("#ref".to_owned());
        assert_eq!(
            ids,
            vec![
                words.len() - 2,
                words.len() - 1,
                words.iter().position(|w| w == "ssn").unwrap()
            ]
        );
        let texts = [
            "My credit card number is 4111; card numbers differ. Xcard number 12",
            "customer_ssn: 123-45-6789, SSN#, ss# 1, a/c 99, swift/bic X, Order #12",
            "Lost passport report: holder Valero; reporter Jo; the passport no. is X",
            "numéro d'assurance sociale 046 454 286 / NUMÉRO DE CLIENT 7, numéro de client 8",
            "#ref 12 x#ref 13  ip address 10.0.0.1 (user name: jdoe) password=hunter2",
            "",
            "card",
            "cardholder card-holder pin-code pin code PIN:1234 pw:x",
        ];
        for text in texts {
            let mut hits = Vec::new();
            k.find(text, &mut hits);
            let got: Vec<_> = hits.iter().map(|h| (h.start, h.end, h.id)).collect();
            assert_eq!(got, naive(&words, text), "{text}");
        }
    }
}

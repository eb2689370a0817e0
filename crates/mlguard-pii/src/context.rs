//! Context keywords: words that, near a candidate, make a type more likely
//! (Macie's keywords and `maximumMatchDistance`) or less likely ("order",
//! "tracking", "version"). Found in one Aho-Corasick pass, whole words only,
//! ASCII case-insensitive.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

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
fn builtin() -> Vec<(&'static str, u64)> {
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

/// The keyword automaton: built-in keywords first, then every custom
/// identifier's keywords (their ids are returned by [`Keywords::new`]).
pub(crate) struct Keywords {
    automaton: AhoCorasick,
    types: Vec<u64>,
}

impl Keywords {
    /// Builds the automaton; `extra` are custom keywords (types 0). Returns the
    /// keyword ids of `extra` in order.
    pub(crate) fn new(
        extra: &[String],
    ) -> Result<(Keywords, Vec<usize>), aho_corasick::BuildError> {
        let mut words: Vec<String> = Vec::new();
        let mut types: Vec<u64> = Vec::new();
        for (w, bits) in builtin() {
            words.push(w.to_owned());
            types.push(bits);
        }
        // Custom keywords share a pattern with an equal built-in one: the
        // automaton reports one pattern per place.
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
        // Leftmost-longest reports "credit card" and not the "card" inside it:
        // every compound keyword is listed with its own types.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&words)?;
        Ok((Keywords { automaton, types }, ids))
    }

    /// Every whole-word keyword occurrence in `text`, ordered by end.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Hit>) {
        out.clear();
        let bytes = text.as_bytes();
        for m in self.automaton.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            let before = s.checked_sub(1).and_then(|i| bytes.get(i));
            let after = bytes.get(e);
            if before.is_some_and(|b| b.is_ascii_alphanumeric())
                || after.is_some_and(|b| b.is_ascii_alphanumeric())
            {
                continue;
            }
            let id = m.pattern().as_usize();
            out.push(Hit {
                start: s,
                end: e,
                types: self.types.get(id).copied().unwrap_or(0),
                id,
            });
        }
        out.sort_by_key(|h| (h.end, h.start));
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
    /// Types a column or field name supports for the whole text.
    pub(crate) column: u64,
}

impl Context<'_> {
    /// Whether a keyword for any of `types` ends at most `distance` bytes
    /// before `start` (or the column name supports it).
    pub(crate) fn before(&self, types: u64, start: usize, distance: usize) -> bool {
        self.column & types != 0 || self.hit_before(types, start, distance)
    }

    /// Whether a keyword hit carrying any of `bits` ends within `distance`
    /// bytes before `start`.
    fn hit_before(&self, bits: u64, start: usize, distance: usize) -> bool {
        let lo = start.saturating_sub(distance);
        let first = self.hits.partition_point(|h| h.end < lo);
        self.hits
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|h| h.end <= start)
            .any(|h| h.types & bits != 0)
    }

    /// Whether a keyword for `types` starts within `distance` bytes after `end`.
    pub(crate) fn after(&self, types: u64, end: usize, distance: usize) -> bool {
        let first = self.hits.partition_point(|h| h.end <= end);
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

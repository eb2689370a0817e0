//! Checksums and structural rules of identifiers: what turns "sixteen digits"
//! into "a card number". Every function takes the identifier's characters with
//! separators already removed and never panics.

/// The values of exactly `N` ASCII digits, or `None` (another length, or a
/// byte that is not a digit).
fn digits<const N: usize>(s: &[u8]) -> Option<[u32; N]> {
    let mut out = [0; N];
    if s.len() != N {
        return None;
    }
    for (d, &b) in out.iter_mut().zip(s) {
        if !b.is_ascii_digit() {
            return None;
        }
        *d = u32::from(b - b'0');
    }
    Some(out)
}

/// Luhn (ISO/IEC 7812-1): card numbers, Canadian SINs.
pub(crate) fn luhn(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in s.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let x = u32::from(b - b'0');
        sum += if i % 2 == 1 {
            let y = x * 2;
            if y > 9 { y - 9 } else { y }
        } else {
            x
        };
    }
    sum.is_multiple_of(10)
}

/// A payment card number: 13–19 digits, a known issuer range, Luhn-valid.
/// Ranges: Visa 4; Mastercard 51–55 and 2221–2720; Amex 34, 37; Discover 6011,
/// 644–649, 65; Diners 36, 38, 300–305; JCB 3528–3589; UnionPay 62; Maestro 50,
/// 56–58, 6304, 67.
pub(crate) fn card_number(s: &[u8]) -> bool {
    if !(13..=19).contains(&s.len()) || !luhn(s) {
        return false;
    }
    let prefix = |n: usize| -> u32 {
        s.iter()
            .take(n)
            .fold(0, |acc, b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let len = s.len();
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    match p1 {
        4 => matches!(len, 13 | 16 | 19),
        5 => (51..=55).contains(&p2) && len == 16 || matches!(p2, 50 | 56..=58) && len >= 12,
        2 => (2221..=2720).contains(&p4) && len == 16,
        3 => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((300..=305).contains(&p3) || matches!(p2, 36 | 38)) && (14..=19).contains(&len)
                || (3528..=3589).contains(&p4) && (16..=19).contains(&len)
        }
        6 => {
            (p4 == 6011
                || (644..=649).contains(&p3)
                || p2 == 65
                || p2 == 62
                || p4 == 6304
                || p2 == 67)
                && (16..=19).contains(&len)
        }
        _ => false,
    }
}

/// ISO 13616 IBAN lengths by country.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// An IBAN (uppercase, no spaces): the country's length and mod-97 = 1.
pub(crate) fn iban(s: &[u8]) -> bool {
    let (Some(country), Some(check)) = (s.get(..2), s.get(2..4)) else {
        return false;
    };
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| c.as_slice() == country) else {
        return false;
    };
    if s.len() != len || !check.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let rearranged = s.iter().skip(4).chain(s.iter().take(4));
    let mut rem: u32 = 0;
    for &b in rearranged {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// An ABA routing transit number: 9 digits, the 3-7-1 weighted checksum, and a
/// Federal Reserve prefix (00–12, 21–32, 61–72, 80).
pub(crate) fn aba_routing(s: &[u8]) -> bool {
    let Some(d) = digits::<9>(s) else {
        return false;
    };
    let [a, b, c, e, f, g, h, i, j] = d;
    let prefix = a * 10 + b;
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    (3 * (a + e + h) + 7 * (b + f + i) + (c + g + j)) % 10 == 0 && d.iter().any(|&x| x != 0)
}

/// A US Social Security number: area not 000, 666 or 9xx; group not 00; serial
/// not 0000 (SSA's rules since 2011 randomization).
pub(crate) fn ssn(s: &[u8]) -> bool {
    let Some([a1, a2, a3, g1, g2, s1, s2, s3, s4]) = digits::<9>(s) else {
        return false;
    };
    let area = a1 * 100 + a2 * 10 + a3;
    let group = g1 * 10 + g2;
    let serial = s1 * 1000 + s2 * 100 + s3 * 10 + s4;
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
        // Numbers the SSA reserves for advertising and never issues.
        && !(area == 987 || (area == 78 && group == 5 && serial == 1120))
}

/// A US ITIN: 9 digits starting with 9, the fourth and fifth (the group) 50–65, 70–88, 90–92 or 94–99.
pub(crate) fn itin(s: &[u8]) -> bool {
    let Some([9, _, _, g1, g2, _, _, _, _]) = digits::<9>(s) else {
        return false;
    };
    let group = g1 * 10 + g2;
    matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// A Canadian SIN: 9 digits, Luhn-valid, not starting with 0 or 8.
pub(crate) fn ca_sin(s: &[u8]) -> bool {
    s.len() == 9 && !matches!(s.first(), Some(b'0' | b'8')) && luhn(s)
}

/// A UK NHS number: 10 digits, mod-11 check digit (weights 10..2; 10 is invalid).
pub(crate) fn nhs(s: &[u8]) -> bool {
    let Some(d) = digits::<10>(s) else {
        return false;
    };
    if d.iter().all(|&x| x == d.first().copied().unwrap_or(0)) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(9)
        .zip((2..=10).rev())
        .map(|(x, w)| x * w)
        .sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && Some(&check) == d.get(9)
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
/// Verhoeff's permutation table: row k is σᵏ for σ = (1 5 8 9 4 2 7 0)(3 6).
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff's dihedral-group checksum (Aadhaar).
pub(crate) fn verhoeff(s: &[u8]) -> bool {
    let mut c: u8 = 0;
    for (i, b) in s.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let p = VERHOEFF_P
            .get(i % 8)
            .and_then(|row| row.get(usize::from(b - b'0')))
            .copied()
            .unwrap_or(0);
        c = VERHOEFF_D
            .get(usize::from(c))
            .and_then(|row| row.get(usize::from(p)))
            .copied()
            .unwrap_or(0);
    }
    !s.is_empty() && c == 0
}

/// An Aadhaar number: 12 digits, first digit 2–9, Verhoeff-valid.
pub(crate) fn aadhaar(s: &[u8]) -> bool {
    s.len() == 12 && matches!(s.first(), Some(b'2'..=b'9')) && verhoeff(s)
}

/// A VIN (ISO 3779, 17 characters, no I/O/Q) whose North American check digit
/// (position 9) is right.
pub(crate) fn vin(s: &[u8]) -> bool {
    if s.len() != 17 {
        return false;
    }
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |b: u8| -> Option<u32> {
        Some(match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A' | b'J' => 1,
            b'B' | b'K' | b'S' => 2,
            b'C' | b'L' | b'T' => 3,
            b'D' | b'M' | b'U' => 4,
            b'E' | b'N' | b'V' => 5,
            b'F' | b'W' => 6,
            b'G' | b'P' | b'X' => 7,
            b'H' | b'Y' => 8,
            b'R' | b'Z' => 9,
            _ => return None,
        })
    };
    let mut sum = 0;
    for (b, w) in s.iter().zip(WEIGHTS) {
        let Some(v) = value(*b) else { return false };
        sum += v * w;
    }
    // A VIN mixes letters and digits; 17 digits is some other number.
    let letters = s.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let check = match sum % 11 {
        10 => b'X',
        n => b'0' + u8::try_from(n).unwrap_or(0),
    };
    letters >= 2 && s.get(8) == Some(&check)
}

/// A UK National Insurance number (no spaces): two prefix letters (not D, F, I,
/// Q, U, V; second not O; not BG, GB, KN, NK, NT, TN, ZZ), six digits, A–D.
pub(crate) fn uk_nino(s: &[u8]) -> bool {
    let [p1, p2, rest @ ..] = s else { return false };
    let [d @ .., suffix] = rest else { return false };
    let bad1 = b"DFIQUV";
    let bad2 = b"DFIQUVO";
    let pair = [*p1, *p2];
    p1.is_ascii_uppercase()
        && p2.is_ascii_uppercase()
        && !bad1.contains(p1)
        && !bad2.contains(p2)
        && !matches!(&pair, b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ")
        && d.len() == 6
        && d.iter().all(u8::is_ascii_digit)
        && matches!(suffix, b'A'..=b'D')
}

/// An Indian PAN: five letters (the fourth a holder type), four digits, a letter.
pub(crate) fn in_pan(s: &[u8]) -> bool {
    s.len() == 10
        && s.iter().take(5).all(u8::is_ascii_uppercase)
        && s.get(3).is_some_and(|c| b"ABCFGHJLPT".contains(c))
        && s.iter().skip(5).take(4).all(u8::is_ascii_digit)
        && s.get(9).is_some_and(u8::is_ascii_uppercase)
}

/// ISO 3166-1 alpha-2 codes (for SWIFT/BIC country letters).
const COUNTRIES: &str = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGP\
GQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMA\
MCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQA\
RERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVC\
VEVGVIVNVUWFWSXKYEYTZAZMZW";

pub(crate) fn country_code(c: &[u8]) -> bool {
    c.len() == 2 && COUNTRIES.as_bytes().chunks_exact(2).any(|pair| pair == c)
}

/// A SWIFT/BIC code (ISO 9362): 4 bank letters, a country, 2 location
/// characters, optionally a 3-character branch.
pub(crate) fn swift(s: &[u8]) -> bool {
    if s.len() != 8 && s.len() != 11 {
        return false;
    }
    let bank = s.get(..4).unwrap_or_default();
    let country = s.get(4..6).unwrap_or_default();
    let rest = s.get(6..).unwrap_or_default();
    bank.iter().all(u8::is_ascii_uppercase)
        && country_code(country)
        && rest
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards() {
        for good in [
            "4111111111111111",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "4012888888881881",
        ] {
            assert!(card_number(good.as_bytes()), "{good}");
        }
        for bad in [
            "4111111111111112",
            "1234567812345678",
            "9999999999999995",
            "41111111",
        ] {
            assert!(!card_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn iban_mod97_and_length() {
        assert!(iban(b"DE89370400440532013000"));
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(iban(b"FR1420041010050500013M02606"));
        assert!(!iban(b"DE89370400440532013001"));
        assert!(!iban(b"DE8937040044053201300")); // one short
        assert!(!iban(b"XX89370400440532013000"));
    }

    #[test]
    fn routing_ssn_itin_sin() {
        assert!(aba_routing(b"011000015"));
        assert!(aba_routing(b"021000021"));
        assert!(!aba_routing(b"021000022"));
        assert!(!aba_routing(b"000000000"));
        assert!(ssn(b"536228451"));
        assert!(!ssn(b"000123456") && !ssn(b"666123456") && !ssn(b"912345678"));
        assert!(!ssn(b"123001234") && !ssn(b"123450000"));
        assert!(itin(b"912701234") && !itin(b"912931234") && !itin(b"812701234"));
        assert!(ca_sin(b"130692544") && !ca_sin(b"130692545") && !ca_sin(b"046454286"));
    }

    #[test]
    fn nhs_aadhaar_vin() {
        assert!(nhs(b"9434765919"));
        assert!(!nhs(b"9434765918"));
        assert!(!nhs(b"1111111111"));
        assert!(verhoeff(b"2363"));
        assert!(!verhoeff(b"2364"));
        assert!(aadhaar(b"234123412346"));
        assert!(!aadhaar(b"234123412345"));
        assert!(vin(b"1M8GDM9AXKP042788"));
        assert!(!vin(b"11111111111111111"));
        assert!(!vin(b"1M8GDM9A1KP042788"));
    }

    #[test]
    fn letters_and_digits_ids() {
        assert!(uk_nino(b"AB123456C"));
        assert!(!uk_nino(b"DA123456C") && !uk_nino(b"GB123456A") && !uk_nino(b"AB123456E"));
        assert!(in_pan(b"ABCPE1234F"));
        assert!(!in_pan(b"ABCDE1234F"));
        assert!(swift(b"DEUTDEFF") && swift(b"NWBKGB2L") && swift(b"BOFAUS3NXXX"));
        assert!(!swift(b"DEUTXXFF") && !swift(b"ABCDEFGH1"));
    }
}

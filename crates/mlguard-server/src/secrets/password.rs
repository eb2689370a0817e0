//! GetRandomPassword: a password from the operating system's CSPRNG, each
//! character drawn without modulo bias from the pool the options leave, with one
//! character of each included type when `RequireEachIncludedType` (the default).

use zeroize::Zeroizing;

use crate::error::ApiError;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
/// AWS's punctuation: the 32 printable ASCII symbols.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The options of a request, with AWS's defaults filled in.
#[derive(Debug, Clone)]
pub struct Options {
    pub length: usize,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    pub require_each_included_type: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            length: 32,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

/// A uniformly random index below `n` (n ≥ 1), by rejection sampling.
fn below(n: usize) -> Result<usize, ApiError> {
    let n = u32::try_from(n).map_err(|_| invalid("The character pool is too large."))?;
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let bytes: [u8; 4] = mlguard_crypto::random::array()
            .map_err(|_| ApiError::internal("InternalServiceError"))?;
        let v = u32::from_le_bytes(bytes);
        if v < zone {
            return usize::try_from(v % n).map_err(|_| ApiError::internal("InternalServiceError"));
        }
    }
}

/// Generates a password.
pub fn generate(options: &Options) -> Result<Zeroizing<String>, ApiError> {
    let keep = |set: &str| -> Vec<char> {
        set.chars()
            .filter(|c| !options.exclude_characters.contains(*c))
            .collect()
    };
    let mut classes: Vec<Vec<char>> = Vec::new();
    let mut required = 0usize;
    for (excluded, set) in [
        (options.exclude_lowercase, LOWER),
        (options.exclude_uppercase, UPPER),
        (options.exclude_numbers, DIGITS),
        (options.exclude_punctuation, PUNCTUATION),
    ] {
        if excluded {
            continue;
        }
        let chars = keep(set);
        if options.require_each_included_type {
            if chars.is_empty() {
                return Err(invalid(
                    "All characters of the desired type have been excluded",
                ));
            }
            required += 1;
        }
        classes.push(chars);
    }
    let mut pool: Vec<char> = classes.iter().flatten().copied().collect();
    if options.include_space && !options.exclude_characters.contains(' ') {
        pool.push(' ');
    }
    if pool.is_empty() {
        return Err(invalid("All characters have been excluded from selection"));
    }
    if options.require_each_included_type && options.length < required {
        return Err(invalid(
            "Password length is too short based on the required types.",
        ));
    }
    let mut chars: Zeroizing<Vec<char>> = Zeroizing::new(Vec::with_capacity(options.length));
    if options.require_each_included_type {
        for class in classes.iter().filter(|c| !c.is_empty()) {
            if let Some(c) = class.get(below(class.len())?) {
                chars.push(*c);
            }
        }
    }
    while chars.len() < options.length {
        if let Some(c) = pool.get(below(pool.len())?) {
            chars.push(*c);
        }
    }
    // Shuffle (Fisher–Yates) so the required characters are not at the front.
    for i in (1..chars.len()).rev() {
        let j = below(i + 1)?;
        chars.swap(i, j);
    }
    Ok(Zeroizing::new(chars.iter().collect()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]

    use super::*;

    #[test]
    fn defaults_give_32_characters_of_every_type() {
        for _ in 0..200 {
            let p = generate(&Options::default()).expect("password");
            assert_eq!(p.chars().count(), 32);
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
            assert!(!p.contains(' '));
        }
    }

    #[test]
    fn exclusions_are_honoured() {
        let options = Options {
            length: 120,
            exclude_characters: "xyzDje@?!.".into(),
            exclude_punctuation: false,
            include_space: true,
            ..Options::default()
        };
        for _ in 0..50 {
            let p = generate(&options).expect("password");
            assert_eq!(p.chars().count(), 120);
            assert!(!p.chars().any(|c| "xyzDje@?!.".contains(c)));
        }
        let digits_only = Options {
            length: 12,
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..Options::default()
        };
        let p = generate(&digits_only).expect("password");
        assert!(p.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn aws_errors() {
        let short = Options {
            length: 3,
            ..Options::default()
        };
        assert_eq!(
            generate(&short).expect_err("too short").message.as_deref(),
            Some("Password length is too short based on the required types.")
        );
        // Three characters, three required types: fine.
        let three = Options {
            length: 3,
            exclude_punctuation: true,
            ..Options::default()
        };
        assert_eq!(generate(&three).expect("ok").chars().count(), 3);
        let no_digits = Options {
            exclude_characters: DIGITS.into(),
            ..Options::default()
        };
        assert_eq!(
            generate(&no_digits)
                .expect_err("emptied")
                .message
                .as_deref(),
            Some("All characters of the desired type have been excluded")
        );
        let nothing = Options {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..Options::default()
        };
        assert_eq!(
            generate(&nothing).expect_err("empty").message.as_deref(),
            Some("All characters have been excluded from selection")
        );
    }

    #[test]
    fn characters_are_roughly_uniform() {
        // 10 digits, 20,000 draws: each digit within ±20 % of 2,000.
        let options = Options {
            length: 4096,
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..Options::default()
        };
        let mut counts = [0usize; 10];
        for _ in 0..5 {
            for c in generate(&options).expect("password").chars() {
                if let Some(d) = c.to_digit(10).and_then(|d| counts.get_mut(d as usize)) {
                    *d += 1;
                }
            }
        }
        let expected = 5 * 4096 / 10;
        assert!(
            counts
                .iter()
                .all(|n| n * 10 > expected * 8 && n * 10 < expected * 12),
            "{counts:?}"
        );
    }
}

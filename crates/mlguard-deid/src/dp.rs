//! Differential privacy's noise, sampled exactly.
//!
//! Floating-point Laplace samplers leak: the set of doubles `x + Lap(b)` can
//! take depends on `x`, so an observer of one output can tell neighbouring
//! inputs apart (Mironov, "On significance of the least significant bits for
//! differential privacy", CCS 2012). The samplers here draw from the
//! *discrete* Laplace and Gaussian distributions over the integers with
//! integer arithmetic only, as Canonne, Kamath and Steinke give them ("The
//! Discrete Gaussian for Differential Privacy", NeurIPS 2020, algorithms 1–3)
//! and as OpenDP implements them: every probability is a ratio of integers,
//! every coin an integer compared with a uniformly drawn integer. Real-valued
//! data is noised on a fixed grid (a number of decimals) so that the noise
//! stays an integer count of grid steps.
//!
//! Parameters are [`Rational`]s: `epsilon = "0.5"` is exactly 1/2. Where a
//! parameter comes from a formula with square roots and logarithms (the
//! Gaussian mechanism's sigma for (ε, δ)), it is rounded *up* onto a fine
//! grid, which only adds noise.
//!
//! Randomness comes from a [`RandomSource`]: the operating system's CSPRNG
//! ([`OsRandom`]) for real use; tests bring a seeded one.

use thiserror::Error;

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DpError {
    #[error("{0} must be a positive number")]
    NotPositive(&'static str),
    #[error("{0}: not a decimal number")]
    NotANumber(String),
    #[error("parameters too large for exact arithmetic ({0})")]
    Overflow(&'static str),
    #[error("the privacy budget is spent: {requested} requested, {remaining} remaining")]
    BudgetExceeded {
        requested: String,
        remaining: String,
    },
    #[error("randomness unavailable: {0}")]
    Random(String),
}

/// A non-negative rational number `num / den`, reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rational {
    pub num: u128,
    pub den: u128,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Rational {
    /// `num / den`, reduced; `den` must not be zero.
    pub fn new(num: u128, den: u128) -> Result<Rational, DpError> {
        if den == 0 {
            return Err(DpError::NotPositive("a denominator"));
        }
        let g = gcd(num, den).max(1);
        Ok(Rational {
            num: num / g,
            den: den / g,
        })
    }

    /// An exact decimal (`"0.5"`, `"2"`, `"1e-3"` is refused: write `0.001`).
    pub fn parse(s: &str) -> Result<Rational, DpError> {
        let bad = || DpError::NotANumber(s.to_owned());
        let t = s.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 30
        {
            return Err(bad());
        }
        let den = 10u128
            .checked_pow(u32::try_from(frac.len()).map_err(|_| bad())?)
            .ok_or_else(bad)?;
        let digits = format!("{int}{frac}");
        let num: u128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        Rational::new(num, den)
    }

    /// The smallest multiple of `1 / 2^20` not below `x` (a positive finite
    /// float from a formula): rounding up makes noise larger, never smaller.
    pub fn ceil_f64(x: f64) -> Result<Rational, DpError> {
        if !x.is_finite() || x <= 0.0 {
            return Err(DpError::NotPositive("a computed parameter"));
        }
        let scaled = (x * f64::from(1u32 << 20)).ceil();
        if scaled >= 1e30 {
            return Err(DpError::Overflow("a computed parameter"));
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "finite, positive and below 1e30, checked above"
        )]
        let num = scaled as u128;
        Rational::new(num.max(1), 1 << 20)
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn checked_add(self, o: Rational) -> Option<Rational> {
        let num = self
            .num
            .checked_mul(o.den)?
            .checked_add(o.num.checked_mul(self.den)?)?;
        Rational::new(num, self.den.checked_mul(o.den)?).ok()
    }

    fn checked_sub(self, o: Rational) -> Option<Rational> {
        let num = self
            .num
            .checked_mul(o.den)?
            .checked_sub(o.num.checked_mul(self.den)?)?;
        Rational::new(num, self.den.checked_mul(o.den)?).ok()
    }

    fn le(self, o: Rational) -> Option<bool> {
        Some(self.num.checked_mul(o.den)? <= o.num.checked_mul(self.den)?)
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Where uniform random bits come from.
pub trait RandomSource {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), DpError>;
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), DpError> {
        getrandom::fill(buf).map_err(|e| DpError::Random(e.to_string()))
    }
}

/// A uniform integer in `[0, n)` (`n > 0`), by rejection: no modulo bias.
fn uniform_below<R: RandomSource>(rng: &mut R, n: u128) -> Result<u128, DpError> {
    if n <= 1 {
        return Ok(0);
    }
    // Draw as few bytes as n needs, masked to its bit length: at most half
    // the draws are rejected.
    let bits = 128 - (n - 1).leading_zeros();
    let bytes = bits.div_ceil(8) as usize;
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let mut buf = [0u8; 16];
    loop {
        let Some(part) = buf.get_mut(..bytes) else {
            return Err(DpError::Overflow("uniform draw"));
        };
        rng.fill(part)?;
        let v = u128::from_le_bytes(buf) & mask;
        if v < n {
            return Ok(v);
        }
    }
}

/// A coin that is 1 with probability `num / den` (`num <= den`).
fn bernoulli<R: RandomSource>(rng: &mut R, num: u128, den: u128) -> Result<bool, DpError> {
    Ok(uniform_below(rng, den)? < num)
}

/// A coin that is 1 with probability `exp(-gamma)`, `gamma = num / den >= 0`
/// (CKS algorithm 1, with its reduction of `gamma > 1` to coins of `exp(-1)`).
fn bernoulli_exp<R: RandomSource>(rng: &mut R, num: u128, den: u128) -> Result<bool, DpError> {
    if den == 0 {
        return Err(DpError::NotPositive("a denominator"));
    }
    let whole = num / den;
    let mut i = 0u128;
    while i < whole {
        if !bernoulli_exp_at_most_one(rng, 1, 1)? {
            return Ok(false);
        }
        i += 1;
    }
    bernoulli_exp_at_most_one(rng, num % den, den)
}

/// `exp(-gamma)` for `gamma = num / den` in `[0, 1]`: count the successes of
/// coins `gamma / k`, k = 1, 2, ...; the first failure at an odd k is a 1.
fn bernoulli_exp_at_most_one<R: RandomSource>(
    rng: &mut R,
    num: u128,
    den: u128,
) -> Result<bool, DpError> {
    let mut k: u128 = 1;
    loop {
        let d = den.checked_mul(k).ok_or(DpError::Overflow("exp coin"))?;
        if !bernoulli(rng, num, d)? {
            return Ok(k % 2 == 1);
        }
        k += 1;
    }
}

/// A sample of the discrete Laplace distribution with scale `t / s`:
/// `P[x] ∝ exp(-|x| · s / t)` over the integers (CKS algorithm 2).
fn discrete_laplace_st<R: RandomSource>(rng: &mut R, s: u128, t: u128) -> Result<i128, DpError> {
    if s == 0 || t == 0 {
        return Err(DpError::NotPositive("the Laplace scale"));
    }
    loop {
        let u = uniform_below(rng, t)?;
        if !bernoulli_exp(rng, u, t)? {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(rng, 1, 1)? {
            v = v.checked_add(1).ok_or(DpError::Overflow("Laplace"))?;
        }
        let x = t
            .checked_mul(v)
            .and_then(|tv| tv.checked_add(u))
            .ok_or(DpError::Overflow("Laplace"))?;
        let y = x / s;
        let negative = bernoulli(rng, 1, 2)?;
        if negative && y == 0 {
            continue;
        }
        let y = i128::try_from(y).map_err(|_| DpError::Overflow("Laplace"))?;
        return Ok(if negative { -y } else { y });
    }
}

/// A sample of the discrete Laplace distribution with this scale:
/// `P[x] ∝ exp(-|x| / scale)`.
pub fn discrete_laplace<R: RandomSource>(rng: &mut R, scale: Rational) -> Result<i128, DpError> {
    if scale.is_zero() {
        return Err(DpError::NotPositive("the Laplace scale"));
    }
    discrete_laplace_st(rng, scale.den, scale.num)
}

/// The integer square root: the largest `r` with `r * r <= n`.
fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// A sample of the discrete Gaussian distribution with this variance
/// parameter: `P[x] ∝ exp(-x² / (2 σ²))` over the integers (CKS algorithm 3).
pub fn discrete_gaussian<R: RandomSource>(rng: &mut R, sigma2: Rational) -> Result<i128, DpError> {
    let (n, d) = (sigma2.num, sigma2.den);
    if n == 0 {
        return Err(DpError::NotPositive("the Gaussian variance"));
    }
    // t = floor(sigma) + 1, sigma = sqrt(n / d): floor(sqrt(n / d)) is the
    // integer square root of floor(n / d).
    let t = isqrt(n / d) + 1;
    loop {
        let y = discrete_laplace_st(rng, 1, t)?;
        let ay = y.unsigned_abs();
        // gamma = (|y| - sigma²/t)² / (2 sigma²) = (|y|·d·t - n)² / (2·n·d·t²)
        let a = ay
            .checked_mul(d)
            .and_then(|x| x.checked_mul(t))
            .ok_or(DpError::Overflow("Gaussian"))?;
        let diff = a.abs_diff(n);
        let num = diff
            .checked_mul(diff)
            .ok_or(DpError::Overflow("Gaussian"))?;
        let den = n
            .checked_mul(2)
            .and_then(|x| x.checked_mul(d))
            .and_then(|x| x.checked_mul(t))
            .and_then(|x| x.checked_mul(t))
            .ok_or(DpError::Overflow("Gaussian"))?;
        if bernoulli_exp(rng, num, den)? {
            return Ok(y);
        }
    }
}

/// A dataset's privacy budget: ε spent by sequential composition.
#[derive(Debug, Clone)]
pub struct Budget {
    total: Rational,
    spent: Rational,
}

impl Budget {
    pub fn new(total: Rational) -> Result<Budget, DpError> {
        if total.is_zero() {
            return Err(DpError::NotPositive("the privacy budget"));
        }
        Ok(Budget {
            total,
            spent: Rational { num: 0, den: 1 },
        })
    }

    /// What is left.
    pub fn remaining(&self) -> Rational {
        self.total
            .checked_sub(self.spent)
            .unwrap_or(Rational { num: 0, den: 1 })
    }

    /// Takes `epsilon` from the budget, or refuses without taking anything.
    pub fn spend(&mut self, epsilon: Rational) -> Result<(), DpError> {
        if epsilon.is_zero() {
            return Err(DpError::NotPositive("epsilon"));
        }
        let after = self
            .spent
            .checked_add(epsilon)
            .ok_or(DpError::Overflow("budget"))?;
        if !after.le(self.total).ok_or(DpError::Overflow("budget"))? {
            return Err(DpError::BudgetExceeded {
                requested: epsilon.to_string(),
                remaining: self.remaining().to_string(),
            });
        }
        self.spent = after;
        Ok(())
    }
}

/// The Laplace mechanism on an integer (a count, or a value in grid steps):
/// `value + Lap(sensitivity / epsilon)`, ε-differentially private for a
/// query whose output moves by at most `sensitivity` between neighbouring
/// datasets. Spends `epsilon` from `budget` first.
pub fn laplace_mechanism<R: RandomSource>(
    rng: &mut R,
    budget: &mut Budget,
    value: i128,
    sensitivity: u128,
    epsilon: Rational,
) -> Result<i128, DpError> {
    if sensitivity == 0 {
        return Err(DpError::NotPositive("the sensitivity"));
    }
    budget.spend(epsilon)?;
    // scale = sensitivity / epsilon = sensitivity · den / num
    let t = sensitivity
        .checked_mul(epsilon.den)
        .ok_or(DpError::Overflow("Laplace scale"))?;
    let noise = discrete_laplace_st(rng, epsilon.num, t)?;
    value
        .checked_add(noise)
        .ok_or(DpError::Overflow("noised value"))
}

/// The Gaussian mechanism on an integer, (ε, δ)-differentially private for ε
/// below 1: σ = sensitivity · √(2 ln(1.25/δ)) / ε (Dwork and Roth, theorem
/// A.1), rounded up, and discrete Gaussian noise of that σ (which is at least
/// as private as the continuous one of the same σ, CKS theorem 7).
pub fn gaussian_mechanism<R: RandomSource>(
    rng: &mut R,
    budget: &mut Budget,
    value: i128,
    sensitivity: u128,
    epsilon: Rational,
    delta: Rational,
) -> Result<i128, DpError> {
    let sigma2 = gaussian_sigma2(sensitivity, epsilon, delta)?;
    budget.spend(epsilon)?;
    let noise = discrete_gaussian(rng, sigma2)?;
    value
        .checked_add(noise)
        .ok_or(DpError::Overflow("noised value"))
}

/// σ² of the Gaussian mechanism for (ε, δ), ε below 1: σ = sensitivity ·
/// √(2 ln(1.25/δ)) / ε (Dwork and Roth, theorem A.1), computed in floating
/// point and rounded up to a multiple of 2⁻²⁰ (which only adds noise).
pub fn gaussian_sigma2(
    sensitivity: u128,
    epsilon: Rational,
    delta: Rational,
) -> Result<Rational, DpError> {
    if sensitivity == 0 || delta.is_zero() || epsilon.is_zero() {
        return Err(DpError::NotPositive("sensitivity, epsilon and delta"));
    }
    if !epsilon.le(Rational { num: 1, den: 1 }).unwrap_or(false) || epsilon.num == epsilon.den {
        return Err(DpError::NotPositive(
            "epsilon below 1 (the classic Gaussian mechanism's bound)",
        ));
    }
    if !delta.le(Rational { num: 1, den: 1 }).unwrap_or(false) {
        return Err(DpError::NotPositive("delta below 1"));
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "only the parameter's formula is floating point; it is rounded up"
    )]
    let (sens, eps, del) = (
        sensitivity as f64,
        epsilon.num as f64 / epsilon.den as f64,
        delta.num as f64 / delta.den as f64,
    );
    let sigma = sens * (2.0 * (1.25 / del).ln()).sqrt() / eps;
    Rational::ceil_f64(sigma * sigma)
}

/// Uniform bits from aws-lc's CSPRNG, drawn 4 KiB at a time (one system
/// call per 4 KiB instead of per draw).
#[derive(Debug)]
pub struct BufferedRandom {
    buffer: Box<[u8; 4096]>,
    used: usize,
}

impl Default for BufferedRandom {
    fn default() -> Self {
        BufferedRandom {
            buffer: Box::new([0; 4096]),
            used: 4096,
        }
    }
}

impl RandomSource for BufferedRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), DpError> {
        if buf.len() > 4096 {
            return aws_lc_rs::rand::fill(buf).map_err(|_| DpError::Random("aws-lc".into()));
        }
        if self.used + buf.len() > 4096 {
            aws_lc_rs::rand::fill(self.buffer.as_mut_slice())
                .map_err(|_| DpError::Random("aws-lc".into()))?;
            self.used = 0;
        }
        let end = self.used + buf.len();
        let chunk = self
            .buffer
            .get(self.used..end)
            .ok_or(DpError::Overflow("random buffer"))?;
        buf.copy_from_slice(chunk);
        // Bits once handed out are not kept.
        if let Some(spent) = self.buffer.get_mut(self.used..end) {
            spent.fill(0);
        }
        self.used = end;
        Ok(())
    }
}

/// A uniform integer in `[low, high]`.
pub fn uniform_between<R: RandomSource>(
    rng: &mut R,
    low: i128,
    high: i128,
) -> Result<i128, DpError> {
    if high < low {
        return Err(DpError::NotPositive("the range (upper below lower)"));
    }
    let span = high
        .abs_diff(low)
        .checked_add(1)
        .ok_or(DpError::Overflow("range"))?;
    let offset = uniform_below(rng, span)?;
    low.checked_add_unsigned(offset)
        .ok_or(DpError::Overflow("range"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn rationals() {
        assert_eq!(Rational::parse("0.5").unwrap(), Rational { num: 1, den: 2 });
        assert_eq!(Rational::parse("2").unwrap(), Rational { num: 2, den: 1 });
        assert_eq!(Rational::parse(".25").unwrap(), Rational { num: 1, den: 4 });
        assert!(Rational::parse("1e-3").is_err());
        assert!(Rational::parse("-1").is_err());
        assert!(Rational::parse("").is_err());
        assert!(Rational::parse(".").is_err());
        assert!(Rational::parse("1.0000000000000000000000000000001").is_err());
        let r = Rational::ceil_f64(0.1).unwrap();
        assert!(r.num as f64 / r.den as f64 >= 0.1);
        assert!(Rational::ceil_f64(f64::NAN).is_err());
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(16), 4);
        assert_eq!(isqrt(u128::MAX), u64::MAX as u128);
    }
}

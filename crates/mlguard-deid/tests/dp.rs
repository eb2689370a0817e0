//! The samplers against their distributions: chi-square goodness of fit on
//! many draws from a seeded source, with thresholds at p ≈ 1e-6 so a correct
//! sampler fails once in a million runs and a wrong one (a scale off by 10 %,
//! a missing sign, a biased coin) fails every time.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use mlguard_deid::dp::{
    Budget, DpError, OsRandom, RandomSource, Rational, discrete_gaussian, discrete_laplace,
    gaussian_mechanism, laplace_mechanism,
};

/// SplitMix64: fast and seedable, for tests only (the mechanisms use the OS CSPRNG).
struct Seeded(u64);

impl RandomSource for Seeded {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), DpError> {
        for chunk in buf.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// Chi-square of `samples` against `pmf` over [-range, range], the tails
/// pooled into one cell each; returns (statistic, degrees of freedom).
fn chi_square(samples: &[i128], pmf: impl Fn(i128) -> f64, range: i128) -> (f64, usize) {
    let n = samples.len() as f64;
    let mut observed = vec![0f64; (2 * range + 3) as usize];
    for &s in samples {
        let cell = if s < -range {
            0
        } else if s > range {
            2 * range + 2
        } else {
            s + range + 1
        };
        observed[cell as usize] += 1.0;
    }
    let mut expected = vec![0f64; observed.len()];
    let mut inside = 0.0;
    for x in -range..=range {
        expected[(x + range + 1) as usize] = pmf(x) * n;
        inside += pmf(x);
    }
    let tail = (1.0 - inside).max(0.0) / 2.0 * n;
    expected[0] = tail;
    expected[observed.len() - 1] = tail;
    let mut stat = 0.0;
    let mut cells = 0;
    for (o, e) in observed.iter().zip(&expected) {
        if *e >= 5.0 {
            stat += (o - e) * (o - e) / e;
            cells += 1;
        }
    }
    (stat, cells - 1)
}

/// The chi-square critical value at p = 1e-6 (Wilson–Hilferty approximation).
fn critical(df: usize) -> f64 {
    let k = df as f64;
    let z = 4.753_424_3; // standard normal quantile at 1 - 1e-6
    k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3)
}

fn laplace_pmf(scale: f64) -> impl Fn(i128) -> f64 {
    let q = (-1.0 / scale).exp();
    move |x| (1.0 - q) / (1.0 + q) * q.powi(x.unsigned_abs() as i32)
}

fn gaussian_pmf(sigma2: f64) -> impl Fn(i128) -> f64 {
    let norm: f64 = (-2000..=2000)
        .map(|x: i32| (-(f64::from(x).powi(2)) / (2.0 * sigma2)).exp())
        .sum();
    move |x| (-((x as f64).powi(2)) / (2.0 * sigma2)).exp() / norm
}

#[test]
fn discrete_laplace_matches_its_distribution() {
    for (scale, seed) in [("3", 1u64), ("0.5", 2), ("7.25", 3)] {
        let r = Rational::parse(scale).unwrap();
        let mut rng = Seeded(seed);
        let samples: Vec<i128> = (0..200_000)
            .map(|_| discrete_laplace(&mut rng, r).unwrap())
            .collect();
        let s = r.num as f64 / r.den as f64;
        let (stat, df) = chi_square(&samples, laplace_pmf(s), 40);
        assert!(
            stat < critical(df),
            "scale {scale}: chi² {stat:.1} over {df} df"
        );
        // A sampler of the wrong scale is caught by the same test.
        let (wrong, df) = chi_square(&samples, laplace_pmf(s * 1.1), 40);
        assert!(
            wrong > critical(df),
            "scale {scale}: a 10 % wrong scale passed ({wrong:.1})"
        );
        let mean = samples.iter().sum::<i128>() as f64 / samples.len() as f64;
        assert!(mean.abs() < 0.1 * s.max(1.0), "scale {scale}: mean {mean}");
    }
}

#[test]
fn discrete_gaussian_matches_its_distribution() {
    for (sigma2, seed) in [("4", 4u64), ("0.5", 5), ("30.7", 6)] {
        let r = Rational::parse(sigma2).unwrap();
        let mut rng = Seeded(seed);
        let samples: Vec<i128> = (0..200_000)
            .map(|_| discrete_gaussian(&mut rng, r).unwrap())
            .collect();
        let v = r.num as f64 / r.den as f64;
        let (stat, df) = chi_square(&samples, gaussian_pmf(v), 30);
        assert!(
            stat < critical(df),
            "σ² {sigma2}: chi² {stat:.1} over {df} df"
        );
        let (wrong, df) = chi_square(&samples, gaussian_pmf(v * 1.2), 30);
        assert!(
            wrong > critical(df),
            "σ² {sigma2}: a 20 % wrong variance passed ({wrong:.1})"
        );
        // And it is not a Laplace of the same variance.
        let lap_scale = (v / 2.0).sqrt();
        let (lap, df) = chi_square(&samples, laplace_pmf(lap_scale), 30);
        assert!(
            lap > critical(df),
            "σ² {sigma2}: fits a Laplace too ({lap:.1})"
        );
    }
}

#[test]
fn the_budget_composes_sequentially_and_refuses_overspending() {
    let mut budget = Budget::new(Rational::parse("1").unwrap()).unwrap();
    let mut rng = OsRandom;
    let half = Rational::parse("0.5").unwrap();
    laplace_mechanism(&mut rng, &mut budget, 100, 1, half).unwrap();
    laplace_mechanism(&mut rng, &mut budget, 100, 1, half).unwrap();
    let err = laplace_mechanism(
        &mut rng,
        &mut budget,
        100,
        1,
        Rational::parse("0.01").unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, DpError::BudgetExceeded { .. }), "{err}");
    assert_eq!(budget.remaining(), Rational::parse("0").unwrap());
    // A refused request spends nothing.
    let mut budget = Budget::new(half).unwrap();
    assert!(
        laplace_mechanism(&mut rng, &mut budget, 1, 1, Rational::parse("0.6").unwrap()).is_err()
    );
    assert_eq!(budget.remaining(), half);
    assert!(Budget::new(Rational::parse("0").unwrap()).is_err());
}

#[test]
fn the_laplace_mechanism_adds_noise_of_scale_sensitivity_over_epsilon() {
    // sensitivity 2, epsilon 0.5: scale 4.
    let mut rng = Seeded(7);
    let mut budget = Budget::new(Rational::parse("100000").unwrap()).unwrap();
    let eps = Rational::parse("0.5").unwrap();
    let noise: Vec<i128> = (0..100_000)
        .map(|_| laplace_mechanism(&mut rng, &mut budget, 1000, 2, eps).unwrap() - 1000)
        .collect();
    let (stat, df) = chi_square(&noise, laplace_pmf(4.0), 40);
    assert!(stat < critical(df), "chi² {stat:.1} over {df} df");
}

#[test]
fn the_gaussian_mechanism_takes_its_sigma_from_epsilon_and_delta() {
    let mut rng = Seeded(8);
    let mut budget = Budget::new(Rational::parse("100000").unwrap()).unwrap();
    let (eps, delta) = (
        Rational::parse("0.5").unwrap(),
        Rational::parse("0.00001").unwrap(),
    );
    let noise: Vec<i128> = (0..50_000)
        .map(|_| gaussian_mechanism(&mut rng, &mut budget, 0, 1, eps, delta).unwrap())
        .collect();
    // sigma = sqrt(2 ln(1.25e5)) / 0.5 ≈ 9.69; the variance is at least sigma².
    let var = noise.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / noise.len() as f64;
    let sigma2 = 4.0 * 2.0 * (1.25e5f64).ln();
    assert!(
        (var - sigma2).abs() < 0.05 * sigma2,
        "variance {var} against {sigma2}"
    );
    assert!(
        gaussian_mechanism(
            &mut rng,
            &mut budget,
            0,
            1,
            Rational::parse("1").unwrap(),
            delta
        )
        .is_err()
    );
    assert!(
        gaussian_mechanism(
            &mut rng,
            &mut budget,
            0,
            1,
            eps,
            Rational::parse("0").unwrap()
        )
        .is_err()
    );
}

#[test]
fn hostile_parameters_are_errors_not_panics_or_hangs() {
    let mut rng = Seeded(9);
    let huge = Rational::new(u128::MAX, 1).unwrap();
    assert!(discrete_gaussian(&mut rng, huge).is_err());
    assert!(discrete_laplace(&mut rng, Rational::new(0, 1).unwrap()).is_err());
    let tiny = Rational::new(1, u128::MAX).unwrap();
    // A vanishing scale: (almost) no noise, and an answer.
    assert_eq!(discrete_laplace(&mut rng, tiny).unwrap(), 0);
    let mut budget = Budget::new(Rational::parse("1").unwrap()).unwrap();
    // Noise that would overflow the value is an error, never a wrap: with
    // scale 100, about half the draws are positive.
    let mut overflowed = 0;
    for _ in 0..20 {
        match laplace_mechanism(
            &mut rng,
            &mut budget,
            i128::MAX,
            1,
            Rational::parse("0.01").unwrap(),
        ) {
            Ok(_) => {}
            Err(DpError::Overflow(_)) => overflowed += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(overflowed > 0);
}

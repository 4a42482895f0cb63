use super::*;
use crate::models::testdata::graded;
use std::collections::HashMap;

fn pc(errors: u64, occurrences: u64) -> PhonemeCounts {
    PhonemeCounts {
        errors,
        occurrences,
    }
}

#[test]
fn beta_posterior() {
    let mut p = LearnerProfile::default();
    assert!((phoneme_error_rate(&p, "B") - DEFAULT_POPULATION_RATE).abs() < 1e-12);
    p.population.insert("B".into(), pc(20, 100)); // r = 0.2, α = 2, β = 8
    p.learner.insert("B".into(), pc(5, 10));
    assert!((phoneme_error_rate(&p, "B") - 7.0 / 20.0).abs() < 1e-12);
    p.learner.insert("B".into(), pc(50, 10)); // errors > occurrences is clamped
    assert!((phoneme_error_rate(&p, "B") - 12.0 / 20.0).abs() < 1e-12);
    assert_eq!(weakness(&[], &p), 0.0);
    let w = weakness(&["B", "B"], &p);
    assert!((w - (1.0 - 0.4f64 * 0.4)).abs() < 1e-12);
}

#[test]
fn bar_and_spacing_shapes() {
    assert_eq!(bar_closeness(49.9), 0.0);
    assert_eq!(bar_closeness(70.1), 0.0);
    assert_eq!(bar_closeness(68.0), 1.0);
    assert!(bar_closeness(69.0) > bar_closeness(60.0));
    assert_eq!(bar_closeness(f64::NAN), 0.0);
    assert_eq!(spacing(-5), 0.0);
    assert!((spacing(86_400) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    assert!(spacing(i64::MAX).is_finite());
}

#[test]
fn ranking_rules() {
    let p = LearnerProfile::default();
    let near = [Attempt {
        similarity: 67.0,
        passed: false,
        at: 0,
    }];
    let mastered = [Attempt {
        similarity: 95.0,
        passed: true,
        at: 0,
    }];
    let weird = [Attempt {
        similarity: f64::NAN,
        passed: false,
        at: i64::MIN,
    }];
    let ph: &[&str] = &["K", "AE", "T"];
    let c = [
        Candidate {
            phones: ph,
            attempts: &mastered,
        },
        Candidate {
            phones: ph,
            attempts: &near,
        },
        Candidate {
            phones: ph,
            attempts: &[],
        },
        Candidate {
            phones: &[],
            attempts: &weird,
        },
    ];
    let r = rank(&c, &p, 3600, 10);
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].index, 1);
    assert!(r[0].reasons.contains(&"close-to-the-bar"));
    assert_eq!(r.last().map(|x| x.index), Some(0));
    assert!(r.iter().all(|x| x.score.is_finite() && x.score >= 0.0));
    assert!(rank(&c, &p, 0, 0).is_empty());
    assert!(rank(&[], &p, 0, 5).is_empty());
}

// ------------------------------------------------------------ simulation --

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }
}

const POOL: [&str; 10] = ["B", "D", "P", "M", "W", "TH", "DH", "V", "Z", "F"];
const BASE_Q: f64 = 0.03;
const PRACTICE: f64 = 0.9;
const STEPS: usize = 100;
const LEARNERS: u64 = 200;
const MASTERY_P: f64 = 0.8;

/// Hidden per-phoneme error probabilities of one simulated learner:
/// 3–5 weak phonemes from POOL with q ~ U(0.3, 0.6), all others BASE_Q.
fn learner(rng: &mut Rng) -> HashMap<&'static str, f64> {
    let mut pool = POOL.to_vec();
    let k = 3 + rng.below(3);
    (0..k)
        .map(|_| {
            (
                pool.swap_remove(rng.below(pool.len())),
                0.3 + 0.3 * rng.f64(),
            )
        })
        .collect()
}

fn q(h: &HashMap<&str, f64>, p: &str) -> f64 {
    h.get(p).copied().unwrap_or(BASE_Q)
}

fn mastered(words: &[Vec<&'static str>], h: &HashMap<&str, f64>) -> usize {
    words
        .iter()
        .filter(|w| w.iter().map(|p| 1.0 - q(h, p)).product::<f64>() >= MASTERY_P)
        .count()
}

/// Population counts matching the generator: a pool phoneme is weak with
/// probability 4/10 (mean 4 weak), mean weak rate 0.45.
fn population(words: &[Vec<&'static str>]) -> HashMap<String, PhonemeCounts> {
    let mut m = HashMap::new();
    for p in words.iter().flatten() {
        let rate = if POOL.contains(p) {
            0.4 * 0.45 + 0.6 * BASE_Q
        } else {
            BASE_Q
        };
        m.insert(p.to_string(), pc((rate * 1000.0).round() as u64, 1000));
    }
    m
}

#[derive(Clone, Copy)]
enum Policy {
    Model,
    Random,
    LeastPractised,
}

/// (mastered gain, weak-phoneme error reduction, passes) after STEPS.
fn run(
    policy: Policy,
    words: &[Vec<&'static str>],
    hidden: &HashMap<&'static str, f64>,
    pop: &HashMap<String, PhonemeCounts>,
    seed: u64,
) -> [f64; 3] {
    let mut h = hidden.clone();
    let mut attempts: Vec<Vec<Attempt>> = vec![Vec::new(); words.len()];
    let mut profile = LearnerProfile {
        learner: HashMap::new(),
        population: pop.clone(),
    };
    let (mut outcome, mut choice) = (Rng::new(seed), Rng::new(seed ^ 0xABCD));
    let before = mastered(words, &h);
    let mut passes = 0.0;
    for t in 0..STEPS {
        let now = 1_700_000_000 + (t / 10) as i64 * 86_400 + (t % 10) as i64 * 30;
        let pick = match policy {
            Policy::Model => {
                let c: Vec<Candidate> = words
                    .iter()
                    .zip(&attempts)
                    .map(|(w, a)| Candidate {
                        phones: w,
                        attempts: a,
                    })
                    .collect();
                rank(&c, &profile, now, 1).first().map_or(0, |r| r.index)
            }
            Policy::Random => choice.below(words.len()),
            Policy::LeastPractised => {
                let min = attempts.iter().map(Vec::len).min().unwrap_or(0);
                let idx: Vec<usize> = (0..words.len())
                    .filter(|&i| attempts[i].len() == min)
                    .collect();
                idx[choice.below(idx.len())]
            }
        };
        let w = &words[pick];
        let mut errs = 0;
        for p in w {
            let e = outcome.f64() < q(&h, p);
            errs += usize::from(e);
            let c = profile.learner.entry(p.to_string()).or_default();
            c.occurrences += 1;
            c.errors += u64::from(e);
        }
        let sim = 100.0 * (1.0 - errs as f64 / w.len().max(1) as f64);
        attempts[pick].push(Attempt {
            similarity: sim,
            passed: errs == 0,
            at: now,
        });
        passes += f64::from(u8::from(errs == 0));
        let mut seen: Vec<&str> = w.clone();
        seen.sort_unstable();
        seen.dedup();
        for p in seen {
            if let Some(v) = h.get_mut(p) {
                *v *= PRACTICE;
            }
        }
    }
    let reduction: f64 = hidden.iter().map(|(p, q0)| q0 - q(&h, p)).sum();
    [(mastered(words, &h) - before) as f64, reduction, passes]
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt(),
    )
}

#[test]
fn simulated_learners() {
    let words: Vec<Vec<&'static str>> = graded()
        .into_iter()
        .filter(|(l, _)| *l <= 5)
        .map(|(_, o)| o.phones)
        .collect();
    assert_eq!(words.len(), 220);
    let pop = population(&words);
    let policies = [
        ("model rank()[0]", Policy::Model),
        ("random", Policy::Random),
        ("least practised", Policy::LeastPractised),
    ];
    let mut res: Vec<Vec<[f64; 3]>> = vec![Vec::new(); 3];
    for i in 0..LEARNERS {
        let hidden = learner(&mut Rng::new(1000 + i));
        for (k, (_, p)) in policies.iter().enumerate() {
            res[k].push(run(*p, &words, &hidden, &pop, 77 + i));
        }
    }
    let mut summary = Vec::new();
    for (k, (name, _)) in policies.iter().enumerate() {
        let col = |j: usize| mean_sd(&res[k].iter().map(|r| r[j]).collect::<Vec<_>>());
        let (g, e, p) = (col(0), col(1), col(2));
        println!(
            "| {name} | {:.1} ± {:.1} | {:.3} ± {:.3} | {:.1} ± {:.1} |",
            g.0, g.1, e.0, e.1, p.0, p.1
        );
        summary.push((g.0, e.0));
    }
    let wins = (0..LEARNERS as usize)
        .filter(|&i| res[0][i][1] > res[1][i][1])
        .count();
    println!("model beats random on error reduction for {wins}/{LEARNERS} learners");
    assert!(summary[0].0 > summary[1].0 && summary[0].1 > summary[1].1);
    assert!(summary[0].1 > summary[2].1);
}

//! Word difficulty: features, a fitted linear model, reading tips, and
//! given-name detection.
//!
//! # Features
//! See [`FEATURE_NAMES`] and [`features`]: length, syllables, irregularity,
//! confusable letters, letter teams, silent letters, rarity.
//!
//! # Model
//! Each feature is standardised, `zᵢ = (xᵢ − meanᵢ) / stdᵢ`, and the predicted
//! level is `bias + Σ wᵢ·zᵢ`. The weights are fitted by ridge-regularised
//! ordinary least squares (normal equations `(ZᵀZ + λI) w = Zᵀ(y − ȳ)`,
//! λ = [`RIDGE_LAMBDA`], solved by Gaussian elimination; `bias = ȳ`) to the
//! level numbers (1..=6) of the graded list `dolch.json`. The predicted level is
//! clamped to 1..=6 and mapped linearly to a 0–100 score; the percentile is
//! read off 21 quantiles (0 %, 5 %, …, 100 %) of the training words' predicted
//! levels. [`FITTED`] ships the coefficients fitted on all 260 graded words;
//! a test refits them from the fixture and checks they match.
//!
//! `predicted` is the server's own letter-to-sound output
//! ([`crate::phonetics::letter_to_sound`]) in the fit and in production alike: a change
//! to those rules changes the irregularity feature, and the constants test then fails until
//! [`FITTED`] is refitted (the test prints the new constants).
//!
//! # Held-out evaluation
//! Deterministic split: every 5th word of each level (positions 5, 10, …) is
//! test (51 words), the rest train (209). Measured (test `held_out_evaluation`, 2026-12-07):
//!
//! | model | exact level | within one | Spearman ρ | MAE (levels) |
//! | --- | --- | --- | --- | --- |
//! | all 7 features | 0.392 | 0.784 | 0.700 | 0.929 |
//! | length only (baseline) | 0.275 | 0.745 | 0.656 | 1.014 |
//!
//! Levels 1–5 (the Dolch grades) are hard to separate from spelling alone —
//! they were grouped by frequency of use, not by decoding difficulty — while
//! level 6 (“Challenge”) is clearly separated.
//!
//! Fitted on all 260 words ([`FITTED`]), rarity (+0.81 levels per sd) and
//! length (+0.72) carry the model; the other five weights are small
//! (−0.12..+0.07) and partly negative because they are correlated with
//! length, so read per-word contributions as a rough explanation only.

use crate::models::WordFacts;
use std::collections::HashSet;

/// Number of features.
pub(crate) const N_FEATURES: usize = 7;

/// Feature names, in the order of [`features`].
///
/// * `length`: letters (alphabetic characters) in the word.
/// * `syllables`: syllable count supplied by the caller.
/// * `irregularity`: Levenshtein distance between `phones` and `predicted`,
///   divided by the longer length (0 = spelled as it sounds, 1 = nothing matches).
/// * `confusables`: letters from the mirror/rotation sets b, d, p, q, m, w, n, u.
/// * `letter_teams`: adjacent letter pairs of the same kind (two consonants or
///   two vowels): consonant clusters, consonant digraphs and vowel teams.
/// * `silent_letters`: estimate `max(0, letters − phones)`.
/// * `rarity`: `7 − zipf`, or [`UNKNOWN_RARITY`] for words without a frequency.
pub(crate) const FEATURE_NAMES: [&str; N_FEATURES] = [
    "length",
    "syllables",
    "irregularity",
    "confusables",
    "letter_teams",
    "silent_letters",
    "rarity",
];

/// Rarity used when the word's Zipf frequency is unknown (the frequency list
/// stops at Zipf ≈ 2.55, so unknown words are rarer than that: 7 − 2.5).
pub(crate) const UNKNOWN_RARITY: f64 = 4.5;

/// Ridge penalty added to the diagonal of the normal equations.
#[cfg(test)]
pub(crate) const RIDGE_LAMBDA: f64 = 0.1;

/// Number of stored quantiles of the reference distribution (0 %, 5 %, …, 100 %).
pub(crate) const N_QUANTILES: usize = 21;

/// A fitted linear difficulty model; all fields are plain arrays so it can be
/// written as a `const` (see [`FITTED`] and [`DifficultyModel::coefficients_rust`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DifficultyModel {
    /// Training mean of each feature.
    pub(crate) means: [f64; N_FEATURES],
    /// Training standard deviation of each feature (1 where it was 0).
    pub(crate) stds: [f64; N_FEATURES],
    /// Weight of each standardised feature, in level units.
    pub(crate) weights: [f64; N_FEATURES],
    /// Intercept: the mean training level.
    pub(crate) bias: f64,
    /// Quantiles 0 %, 5 %, …, 100 % of the training words' predicted levels.
    pub(crate) reference: [f64; N_QUANTILES],
}

/// Alias kept for readability where the model is used as shipped constants.
pub(crate) type DifficultyModelConst = DifficultyModel;

/// One feature's part in a prediction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureContribution {
    /// Feature name (one of [`FEATURE_NAMES`]).
    pub(crate) name: &'static str,
    /// Raw feature value.
    pub(crate) value: f64,
    /// `weight × standardised value`, in level units.
    pub(crate) contribution: f64,
}

/// The model's verdict on one word.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Difficulty {
    /// 0..=100: predicted level mapped linearly from 1..=6, clamped.
    pub(crate) score: f64,
    /// Nearest level, 1..=6.
    pub(crate) level: u8,
    /// 0..=100: share of the training words predicted easier than this word.
    pub(crate) percentile: f64,
    /// Per-feature breakdown, in [`FEATURE_NAMES`] order.
    pub(crate) features: Vec<FeatureContribution>,
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

fn letters(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance between two phone sequences.
pub(crate) fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(x != y);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Normalised grapheme–phoneme mismatch in 0..=1 (see [`FEATURE_NAMES`]).
pub(crate) fn irregularity(phones: &[&str], predicted: &[&str]) -> f64 {
    let longest = phones.len().max(predicted.len());
    if longest == 0 {
        return 0.0;
    }
    edit_distance(phones, predicted) as f64 / longest as f64
}

fn letter_teams(ls: &[char]) -> usize {
    ls.windows(2)
        .filter(|w| {
            let (a, b) = (w[0], w[1]);
            let va = is_vowel(a) || a == 'y';
            let vb = is_vowel(b) || b == 'y';
            va == vb
        })
        .count()
}

/// Raw feature values of a word, in [`FEATURE_NAMES`] order; always finite.
pub(crate) fn features(f: &WordFacts) -> [f64; N_FEATURES] {
    let ls = letters(f.text);
    let n = ls.len() as f64;
    let confusables = ls.iter().filter(|c| "bdpqmwnu".contains(**c)).count() as f64;
    let rarity = match f.zipf {
        Some(z) if z.is_finite() => (7.0 - z).clamp(-1.0, 7.0),
        _ => UNKNOWN_RARITY,
    };
    [
        n,
        f.syllables.min(1000) as f64,
        irregularity(f.phones, f.predicted),
        confusables,
        letter_teams(&ls) as f64,
        (n - f.phones.len() as f64).max(0.0),
        rarity,
    ]
}

/// Solves `a·x = b` by Gaussian elimination with partial pivoting; `None` if singular.
#[cfg(test)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].is_nan() || a[piv][col].abs() <= 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot = a[col].clone();
        for r in col + 1..n {
            let k = a[r][col] / pivot[col];
            for (x, p) in a[r][col..].iter_mut().zip(&pivot[col..]) {
                *x -= k * p;
            }
            b[r] -= k * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// A standardised ridge linear fit over arbitrary feature rows (used for the
/// model and for baselines): returns (means, stds, weights, bias).
#[cfg(test)]
pub(crate) fn fit_linear(x: &[Vec<f64>], y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, f64) {
    let d = x.first().map_or(0, Vec::len);
    let n = x.len().max(1) as f64;
    let mean = |j: usize| x.iter().map(|r| r[j]).sum::<f64>() / n;
    let means: Vec<f64> = (0..d).map(mean).collect();
    let stds: Vec<f64> = (0..d)
        .map(|j| {
            let v = x.iter().map(|r| (r[j] - means[j]).powi(2)).sum::<f64>() / n;
            if v.sqrt() > 1e-12 { v.sqrt() } else { 1.0 }
        })
        .collect();
    let ybar = if y.is_empty() {
        3.5
    } else {
        y.iter().sum::<f64>() / y.len() as f64
    };
    let z: Vec<Vec<f64>> = x
        .iter()
        .map(|r| (0..d).map(|j| (r[j] - means[j]) / stds[j]).collect())
        .collect();
    let mut a = vec![vec![0.0; d]; d];
    let mut b = vec![0.0; d];
    for (zr, yi) in z.iter().zip(y) {
        for i in 0..d {
            b[i] += zr[i] * (yi - ybar);
            for j in 0..d {
                a[i][j] += zr[i] * zr[j];
            }
        }
    }
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += RIDGE_LAMBDA;
    }
    let w = solve(a, b).unwrap_or_else(|| vec![0.0; d]);
    (means, stds, w, ybar)
}

/// Quantiles 0 %, 5 %, …, 100 % of `v` (linear interpolation); 1..=6 ramp if empty.
#[cfg(test)]
fn quantiles(v: &[f64]) -> [f64; N_QUANTILES] {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let mut q = [0.0; N_QUANTILES];
    for (k, slot) in q.iter_mut().enumerate() {
        let p = k as f64 / (N_QUANTILES - 1) as f64;
        *slot = match s.len() {
            0 => 1.0 + 5.0 * p,
            n => {
                let h = p * (n - 1) as f64;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                s[lo] + (h - lo as f64) * (s[hi] - s[lo])
            }
        };
    }
    q
}

#[cfg(test)]
fn to_array(v: &[f64], fill: f64) -> [f64; N_FEATURES] {
    let mut a = [fill; N_FEATURES];
    for (slot, x) in a.iter_mut().zip(v) {
        *slot = *x;
    }
    a
}

impl DifficultyModel {
    /// Fits the model to `(facts, level)` examples; examples with a
    /// non-finite level are ignored. With no usable examples the model
    /// predicts 3.5 for every word.
    #[cfg(test)]
    pub(crate) fn fit(examples: &[(WordFacts, f64)]) -> DifficultyModel {
        let usable: Vec<&(WordFacts, f64)> = examples.iter().filter(|e| e.1.is_finite()).collect();
        let x: Vec<Vec<f64>> = usable.iter().map(|(f, _)| features(f).to_vec()).collect();
        let y: Vec<f64> = usable.iter().map(|e| e.1).collect();
        let (means, stds, w, bias) = fit_linear(&x, &y);
        let mut m = DifficultyModel {
            means: to_array(&means, 0.0),
            stds: to_array(&stds, 1.0),
            weights: to_array(&w, 0.0),
            bias,
            reference: [0.0; N_QUANTILES],
        };
        let preds: Vec<f64> = usable.iter().map(|(f, _)| m.raw(f)).collect();
        m.reference = quantiles(&preds);
        m
    }

    /// Unclamped predicted level (finite for any input).
    pub(crate) fn raw(&self, f: &WordFacts) -> f64 {
        let r = self.bias + self.contributions(&features(f)).iter().sum::<f64>();
        if r.is_finite() { r } else { 3.5 }
    }

    fn contributions(&self, x: &[f64; N_FEATURES]) -> [f64; N_FEATURES] {
        let mut c = [0.0; N_FEATURES];
        for (i, slot) in c.iter_mut().enumerate() {
            let z = (x[i] - self.means[i]) / self.stds[i];
            let v = self.weights[i] * z;
            *slot = if v.is_finite() { v } else { 0.0 };
        }
        c
    }

    /// Predicts the difficulty of one word.
    pub(crate) fn predict(&self, facts: &WordFacts) -> Difficulty {
        let x = features(facts);
        let c = self.contributions(&x);
        let raw = self.raw(facts);
        let lvl = raw.clamp(1.0, 6.0);
        Difficulty {
            score: (lvl - 1.0) / 5.0 * 100.0,
            level: lvl.round() as u8,
            percentile: self.percentile(raw),
            features: (0..N_FEATURES)
                .map(|i| FeatureContribution {
                    name: FEATURE_NAMES[i],
                    value: x[i],
                    contribution: c[i],
                })
                .collect(),
        }
    }

    /// Percentile (0..=100) of a raw predicted level within the reference quantiles.
    pub(crate) fn percentile(&self, raw: f64) -> f64 {
        let q = &self.reference;
        if !raw.is_finite() || raw <= q[0] {
            return 0.0;
        }
        let step = 100.0 / (N_QUANTILES - 1) as f64;
        for k in 0..N_QUANTILES - 1 {
            if raw < q[k + 1] {
                let span = q[k + 1] - q[k];
                let frac = if span > 0.0 { (raw - q[k]) / span } else { 0.0 };
                return (step * (k as f64 + frac)).clamp(0.0, 100.0);
            }
        }
        100.0
    }

    /// The model as a Rust `const` initialiser (`DifficultyModel { .. }`);
    /// floats are printed in shortest round-trip form, so pasting it back
    /// reproduces the model bit for bit.
    #[cfg(test)]
    pub(crate) fn coefficients_rust(&self) -> String {
        format!(
            "DifficultyModel {{\n    means: {:?},\n    stds: {:?},\n    weights: {:?},\n    bias: {:?},\n    reference: {:?},\n}}",
            self.means, self.stds, self.weights, self.bias, self.reference
        )
    }
}

/// Coefficients fitted on all 260 words of `dolch.json` (see the module doc);
/// the test `fitted_constants_come_from_the_data` regenerates them.
pub(crate) const FITTED: DifficultyModelConst = DifficultyModel {
    means: [
        4.438461538461539,
        1.35,
        0.19516636141636148,
        1.176923076923077,
        1.0384615384615385,
        0.9115384615384615,
        1.4496153846153834,
    ],
    stds: [
        1.9315352449196639,
        0.6359426679529191,
        0.2445325132428291,
        1.0739243965323892,
        0.9719437001251766,
        0.8479962459445768,
        0.9706896072429474,
    ],
    weights: [
        0.7227162207556123,
        -0.0515098245338045,
        0.06639725081722622,
        -0.0909277057890792,
        -0.12058642773960696,
        -0.07563984326713541,
        0.8093864834765421,
    ],
    bias: 3.4461538461538463,
    reference: [
        0.9358425655980191,
        1.8086664321472914,
        2.1179292568111654,
        2.418987397964533,
        2.5257220359553334,
        2.6447827452027464,
        2.803633349748282,
        2.931049653801546,
        3.076320869858618,
        3.1717686535161445,
        3.2482098905001626,
        3.3696053928773537,
        3.4686628994798494,
        3.5815817501317553,
        3.6941791369417656,
        3.7990320936471385,
        4.015027313331224,
        4.523619550246611,
        5.548808534104719,
        6.031008437376606,
        7.355722749123264,
    ],
};

// ---------------------------------------------------------------- advice --

/// Usual sounds of a grapheme (phone sequences joined by spaces).
fn sounds(g: &str) -> &'static [&'static str] {
    match g {
        "tch" => &["CH"],
        "dge" => &["JH"],
        "th" => &["TH", "DH"],
        "sh" => &["SH"],
        "ch" => &["CH", "K", "SH"],
        "ph" => &["F"],
        "wh" => &["W", "HH"],
        "ck" => &["K"],
        "ng" => &["NG", "NG G"],
        "qu" => &["K W", "K"],
        "ee" => &["IY"],
        "ea" => &["IY", "EH", "EY"],
        "oo" => &["UW", "UH"],
        "ai" | "ay" => &["EY"],
        "oa" => &["OW"],
        "ou" => &["AW", "UW", "AH"],
        "ow" => &["OW", "AW"],
        "oi" | "oy" => &["OY"],
        "au" | "aw" => &["AO", "AA"],
        "ew" | "ue" => &["UW", "Y UW"],
        "ey" => &["EY", "IY"],
        "ie" => &["IY", "AY"],
        "er" | "ir" | "ur" => &["ER", "EH R", "IH R"],
        "bb" | "b" => &["B"],
        "dd" | "d" => &["D", "T"],
        "ff" | "f" => &["F"],
        "gg" => &["G"],
        "ll" => &["L"],
        "mm" | "m" => &["M"],
        "nn" => &["N"],
        "pp" | "p" => &["P"],
        "rr" => &["R"],
        "ss" => &["S"],
        "tt" | "t" => &["T"],
        "zz" | "z" => &["Z"],
        "a" => &["AE", "EY", "AA", "AH", "AO"],
        "c" => &["K", "S"],
        "e" => &["EH", "IY", "AH", "IH"],
        "g" => &["G", "JH"],
        "h" => &["HH"],
        "i" => &["IH", "AY", "AH", "IY"],
        "j" => &["JH"],
        "k" => &["K"],
        "l" => &["L", "AH L"],
        "n" => &["N", "NG"],
        "o" => &["AA", "OW", "AH", "AO", "UW"],
        "q" => &["K"],
        "r" => &["R", "ER"],
        "s" => &["S", "Z"],
        "u" => &["AH", "UW", "UH", "Y UW"],
        "v" => &["V"],
        "w" => &["W"],
        "x" => &["K S", "G Z"],
        "y" => &["Y", "IY", "AY", "IH"],
        _ => &[],
    }
}

/// Splits a word into graphemes: longest match of 3, 2, then 1 characters.
fn graphemes(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < word.len() {
        let known = [3, 2]
            .into_iter()
            .filter_map(|k| word.get(i..i + k))
            .find(|g| !sounds(g).is_empty());
        let g = known.unwrap_or_else(|| {
            let len = word[i..].chars().next().map_or(1, char::len_utf8);
            &word[i..i + len]
        });
        out.push(g);
        i += g.len();
    }
    out
}

/// How a grapheme was aligned to the dictionary phones.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fit {
    Regular,
    Silent,
    Different,
}

const BIG: usize = usize::MAX / 4;

/// Aligns graphemes to phones (dynamic programming, cost 1 for a silent
/// grapheme, a grapheme saying an unusual sound, or an unexplained phone;
/// silent final "e" and punctuation are free) and labels each grapheme.
fn align(gs: &[&str], phones: &[&str]) -> Vec<Fit> {
    let (m, n) = (gs.len(), phones.len());
    let silent_cost = |i: usize| {
        let g = gs[i];
        let magic_e = g == "e" && i + 1 == m && i >= 2;
        usize::from(!magic_e && g.chars().all(char::is_alphabetic))
    };
    let says =
        |i: usize, j: usize, k: usize| sounds(gs[i]).contains(&phones[j..j + k].join(" ").as_str());
    let mut dp = vec![vec![BIG; n + 1]; m + 1];
    dp[0][0] = 0;
    for i in 0..=m {
        for j in 0..=n {
            let cur = dp[i][j];
            if cur >= BIG {
                continue;
            }
            if j < n {
                dp[i][j + 1] = dp[i][j + 1].min(cur + 1);
            }
            if i == m {
                continue;
            }
            dp[i + 1][j] = dp[i + 1][j].min(cur + silent_cost(i));
            if j < n {
                dp[i + 1][j + 1] = dp[i + 1][j + 1].min(cur + usize::from(!says(i, j, 1)));
            }
            if j + 1 < n && says(i, j, 2) {
                dp[i + 1][j + 2] = dp[i + 1][j + 2].min(cur);
            }
        }
    }
    // Backtrace.
    let mut fits = vec![Fit::Regular; m];
    let (mut i, mut j) = (m, n);
    while i > 0 || j > 0 {
        let cur = dp[i][j];
        if i > 0 && j > 0 && dp[i - 1][j - 1] + usize::from(!says(i - 1, j - 1, 1)) == cur {
            fits[i - 1] = if says(i - 1, j - 1, 1) {
                Fit::Regular
            } else {
                Fit::Different
            };
            i -= 1;
            j -= 1;
        } else if i > 0 && j > 1 && says(i - 1, j - 2, 2) && dp[i - 1][j - 2] == cur {
            i -= 1;
            j -= 2;
        } else if i > 0 && dp[i - 1][j] + silent_cost(i - 1) == cur {
            fits[i - 1] = if silent_cost(i - 1) == 1 {
                Fit::Silent
            } else {
                Fit::Regular
            };
            i -= 1;
        } else if j > 0 {
            j -= 1;
        } else {
            break;
        }
    }
    fits
}

/// Letter spans that do not follow the usual sounds: (letters, all silent?).
pub(crate) fn irregular_parts(word: &str, phones: &[&str]) -> Vec<(String, bool)> {
    let gs = graphemes(word);
    let fits = align(&gs, phones);
    let mut spans: Vec<(String, bool)> = Vec::new();
    let mut open = false;
    for (g, f) in gs.iter().zip(&fits) {
        match (f, open, spans.last_mut()) {
            (Fit::Regular, _, _) => open = false,
            (_, true, Some(last)) => {
                last.0.push_str(g);
                last.1 &= *f == Fit::Silent;
            }
            _ => {
                spans.push((g.to_string(), *f == Fit::Silent));
                open = true;
            }
        }
    }
    spans
}

fn quote_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

fn irregular_tip(facts: &WordFacts) -> Option<String> {
    if irregularity(facts.phones, facts.predicted) == 0.0 || facts.phones.is_empty() {
        return None;
    }
    let parts = irregular_parts(facts.text, facts.phones);
    let shown: Vec<String> = parts
        .iter()
        .take(2)
        .map(|(s, silent)| {
            if *silent {
                format!("the silent '{s}'")
            } else {
                format!("the '{s}'")
            }
        })
        .collect();
    (!shown.is_empty()).then(|| {
        format!(
            "Highlight {} in \"{}\": those letters do not make their usual sound.",
            quote_list(&shown),
            facts.text
        )
    })
}

fn syllable_tip(facts: &WordFacts) -> Option<String> {
    (facts.syllables >= 2 && facts.syllables < 100).then(|| {
        format!(
            "Say it in {} parts: clap once for each part of \"{}\".",
            facts.syllables, facts.text
        )
    })
}

fn confusable_tip(facts: &WordFacts) -> Option<String> {
    let ls = letters(facts.text);
    let present: Vec<String> = ['b', 'd', 'p', 'q']
        .iter()
        .filter(|c| ls.contains(c))
        .map(|c| format!("the {c}"))
        .collect();
    (!present.is_empty()).then(|| {
        let hint = if present.len() > 1 {
            "they are easy to swap"
        } else {
            "check which way it faces"
        };
        format!("Watch {}: {hint}.", quote_list(&present))
    })
}

fn rhyme_tip(facts: &WordFacts, rhymes: Option<&[&str]>) -> Option<String> {
    let list: Vec<String> = rhymes?
        .iter()
        .filter(|r| !r.is_empty() && **r != facts.text)
        .take(3)
        .map(|r| r.to_string())
        .collect();
    (facts.syllables == 1 && !list.is_empty()).then(|| {
        format!(
            "\"{}\" rhymes with {}: same ending sound, same ending letters.",
            facts.text,
            quote_list(&list)
        )
    })
}

fn contribution(d: &Difficulty, name: &str) -> f64 {
    d.features
        .iter()
        .find(|c| c.name == name)
        .map_or(0.0, |c| c.contribution)
}

/// 1–4 concrete reading tips for a word, derived from its features.
///
/// Candidates: highlight the irregular letters (those whose sound differs
/// from the usual grapheme sounds, found by aligning spelling and dictionary
/// phones; only when `phones ≠ predicted`), say it in N parts (≥ 2
/// syllables), watch the b/d/p/q letters, and a rhyme family for one-syllable
/// words (`rhymes`: caller-supplied words sharing the last vowel + coda).
/// The first three are ordered by their feature's contribution in `d`
/// (largest first); the rhyme tip comes last. If nothing applies, one
/// generic "sound it out" tip is returned.
pub(crate) fn advice(facts: &WordFacts, d: &Difficulty, rhymes: Option<&[&str]>) -> Vec<String> {
    let mut ranked: Vec<(f64, String)> = [
        (contribution(d, "irregularity"), irregular_tip(facts)),
        (contribution(d, "syllables"), syllable_tip(facts)),
        (contribution(d, "confusables"), confusable_tip(facts)),
    ]
    .into_iter()
    .filter_map(|(c, t)| t.map(|t| (c, t)))
    .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut tips: Vec<String> = ranked.into_iter().map(|(_, t)| t).collect();
    tips.extend(rhyme_tip(facts, rhymes));
    if tips.is_empty() {
        tips.push(format!(
            "Sound out \"{}\" slowly, one sound at a time, then blend.",
            facts.text
        ));
    }
    tips
}

// ----------------------------------------------------------------- names --

/// A set of given names (lowercase), e.g. from `given_names.txt`.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameList {
    names: HashSet<String>,
}

impl NameList {
    /// Reads one name per line; `#` lines and blank lines are skipped.
    pub(crate) fn parse(text: &str) -> NameList {
        let names = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        NameList { names }
    }

    /// Whether the (case-insensitive) name is in the list.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.names.contains(&word.trim().to_lowercase())
    }

    /// Number of names.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// Whether `word` should be treated as a given name: it is in `names` AND
/// (it is capitalised as typed, or it is not a common word: `zipf < 4.0` or
/// unknown/NaN). So "Emma" and "Will" are names; "will" and "table" are not.
pub(crate) fn is_name(word: &str, names: &NameList, zipf: Option<f64>) -> bool {
    let w = word.trim();
    let capitalised = w.chars().next().is_some_and(char::is_uppercase);
    let common = zipf.is_some_and(|z| z >= 4.0);
    names.contains(w) && (capitalised || !common)
}

#[cfg(test)]
mod tests;

use super::*;
use crate::models::testdata::{self, Owned, graded};

fn examples(words: &[(u8, Owned)]) -> Vec<(WordFacts<'_>, f64)> {
    words
        .iter()
        .map(|(l, o)| (o.facts(), f64::from(*l)))
        .collect()
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for k in i..=j {
            r[idx[k]] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// (exact, within one, spearman, mae) of continuous predictions vs levels.
fn metrics(pred: &[f64], truth: &[f64]) -> (f64, f64, f64, f64) {
    let n = truth.len() as f64;
    let clamped: Vec<f64> = pred.iter().map(|p| p.clamp(1.0, 6.0)).collect();
    let exact = clamped
        .iter()
        .zip(truth)
        .filter(|(p, t)| p.round() == **t)
        .count() as f64
        / n;
    let within = clamped
        .iter()
        .zip(truth)
        .filter(|(p, t)| (p.round() - **t).abs() <= 1.0)
        .count() as f64
        / n;
    let mae = clamped
        .iter()
        .zip(truth)
        .map(|(p, t)| (p - t).abs())
        .sum::<f64>()
        / n;
    (exact, within, pearson(&ranks(pred), &ranks(truth)), mae)
}

type Graded = Vec<(u8, Owned)>;

fn split() -> (Graded, Graded) {
    let mut pos = std::collections::HashMap::new();
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (l, o) in graded() {
        let k = pos.entry(l).or_insert(0usize);
        *k += 1;
        if *k % 5 == 0 {
            test.push((l, o))
        } else {
            train.push((l, o))
        }
    }
    (train, test)
}

#[test]
fn all_graded_words_have_phones() {
    let g = graded();
    assert_eq!(g.len(), 260);
    assert!(
        g.iter()
            .all(|(_, o)| !o.phones.is_empty() && o.syllables >= 1)
    );
}

#[test]
fn held_out_evaluation() {
    let (train, test) = split();
    let model = DifficultyModel::fit(&examples(&train));
    let truth: Vec<f64> = test.iter().map(|(l, _)| f64::from(*l)).collect();
    let pred: Vec<f64> = test.iter().map(|(_, o)| model.raw(&o.facts())).collect();
    let full = metrics(&pred, &truth);
    let len_rows = |ws: &[(u8, Owned)]| -> Vec<Vec<f64>> {
        ws.iter()
            .map(|(_, o)| vec![features(&o.facts())[0]])
            .collect()
    };
    let ytrain: Vec<f64> = train.iter().map(|(l, _)| f64::from(*l)).collect();
    let (m, s, w, b) = fit_linear(&len_rows(&train), &ytrain);
    let base_pred: Vec<f64> = len_rows(&test)
        .iter()
        .map(|r| b + w[0] * (r[0] - m[0]) / s[0])
        .collect();
    let base = metrics(&base_pred, &truth);
    println!("train {} test {}", train.len(), test.len());
    println!(
        "EVAL_FULL {:.3} | {:.3} | {:.3} | {:.3} |",
        full.0, full.1, full.2, full.3
    );
    println!(
        "EVAL_BASE {:.3} | {:.3} | {:.3} | {:.3} |",
        base.0, base.1, base.2, base.3
    );
    println!("weights {:?}", model.weights);
    assert_eq!(test.len(), 51);
    assert!(full.1 >= 0.6, "within-one {}", full.1);
    assert!(full.3 < base.3, "mae {} vs baseline {}", full.3, base.3);
    assert!(full.2 > base.2);
}

#[test]
fn fitted_constants_come_from_the_data() {
    let all = graded();
    let model = DifficultyModel::fit(&examples(&all));
    println!("{}", model.coefficients_rust());
    let pairs = model
        .means
        .iter()
        .zip(&FITTED.means)
        .chain(model.stds.iter().zip(&FITTED.stds))
        .chain(model.weights.iter().zip(&FITTED.weights))
        .chain(model.reference.iter().zip(&FITTED.reference))
        .chain(std::iter::once((&model.bias, &FITTED.bias)));
    for (a, b) in pairs {
        assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
    }
}

#[test]
fn predictions_are_bounded_and_explained() {
    let all = graded();
    for (_, o) in &all {
        let d = FITTED.predict(&o.facts());
        assert!((0.0..=100.0).contains(&d.score) && (0.0..=100.0).contains(&d.percentile));
        assert!((1..=6).contains(&d.level));
        let sum: f64 = d.features.iter().map(|c| c.contribution).sum();
        assert!((FITTED.bias + sum - FITTED.raw(&o.facts())).abs() < 1e-9);
    }
    let easy = all
        .iter()
        .find(|(_, o)| o.text == "the")
        .map(|(_, o)| FITTED.predict(&o.facts()));
    let hard = all
        .iter()
        .find(|(_, o)| o.text == "psychology")
        .map(|(_, o)| FITTED.predict(&o.facts()));
    let (easy, hard) = (easy.unwrap(), hard.unwrap());
    println!("the: {easy:?}\npsychology: {hard:?}");
    assert!(hard.score > easy.score && hard.percentile > easy.percentile);
}

#[test]
fn degenerate_inputs_are_safe() {
    let empty = WordFacts {
        text: "",
        phones: &[],
        predicted: &[],
        syllables: 0,
        zipf: Some(f64::NAN),
    };
    let huge = WordFacts {
        text: "ß🙂b",
        phones: &["B"],
        predicted: &[],
        syllables: usize::MAX,
        zipf: Some(f64::INFINITY),
    };
    for m in [
        DifficultyModel::fit(&[]),
        DifficultyModel::fit(&[(empty, f64::NAN)]),
        DifficultyModel::fit(&[(empty, 1.0), (huge, 6.0)]),
        FITTED,
    ] {
        for f in [empty, huge] {
            let d = m.predict(&f);
            assert!(d.score.is_finite() && d.percentile.is_finite() && (1..=6).contains(&d.level));
            assert!(
                d.features
                    .iter()
                    .all(|c| c.value.is_finite() && c.contribution.is_finite())
            );
            let tips = advice(&f, &d, Some(&["", "x"]));
            assert!((1..=4).contains(&tips.len()));
        }
    }
}

fn facts_of(word: &'static str) -> Owned {
    let cmu = testdata::cmu_lookup(&[word].into_iter().collect());
    let (phones, syllables) = cmu.get(word).cloned().unwrap_or_default();
    Owned {
        text: word,
        phones,
        predicted: testdata::predict(word),
        syllables,
        zipf: None,
    }
}

fn tips(word: &'static str, rhymes: Option<&[&str]>) -> Vec<String> {
    let o = facts_of(word);
    let t = advice(&o.facts(), &FITTED.predict(&o.facts()), rhymes);
    println!("{word}: {t:?}");
    assert!((1..=4).contains(&t.len()));
    t
}

#[test]
fn advice_examples() {
    assert!(tips("two", None).iter().any(|t| t.contains("silent 'w'")));
    // "night" follows the rules' -igh pattern, so it is regular for them; "could" is not.
    assert!(tips("night", None).iter().all(|t| !t.contains("silent")));
    assert!(tips("said", None).iter().any(|t| t.contains("'ai'")));
    assert!(tips("yellow", None).iter().any(|t| t.contains("2 parts")));
    assert!(
        tips("bed", None)
            .iter()
            .any(|t| t.contains("the b and the d"))
    );
    assert!(
        tips("cat", Some(&["hat", "bat", "cat"]))
            .iter()
            .any(|t| t.contains("hat and bat"))
    );
    assert_eq!(tips("cat", None).len(), 1);
    let t = tips("knowledge", None);
    assert!(t.len() >= 2);
    tips("psychology", None);
}

#[test]
fn names() {
    let names = NameList::parse(testdata::NAMES);
    assert_eq!(names.len(), 5163);
    assert!(is_name("Emma", &names, Some(4.23)));
    assert!(!is_name("will", &names, Some(6.45)));
    assert!(is_name("Will", &names, Some(6.45)));
    assert!(!is_name("table", &names, Some(5.05)));
    assert!(!is_name("Table", &names, Some(5.05)));
    assert!(is_name("emmaline", &names, None));
    assert!(is_name("emmaline", &names, Some(f64::NAN)));
    assert!(!is_name("", &names, None));
}

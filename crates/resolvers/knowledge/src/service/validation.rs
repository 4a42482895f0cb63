//! Input rules shared by questions, topics, articles and (later) submissions and imports.

use agora_platform::{AppError, AppResult, error::Violations};

/// Longest prompt.
pub(crate) const MAX_PROMPT: usize = 500;
/// Shortest prompt.
pub(crate) const MIN_PROMPT: usize = 10;
/// Longest choice text.
pub(crate) const MAX_CHOICE: usize = 200;
/// Longest explanation.
pub(crate) const MAX_EXPLANATION: usize = 2000;
/// Most tags on one item.
pub(crate) const MAX_TAGS: usize = 10;

/// A question's fields as a client sends them (createQuestion, submitQuestion, import rows).
#[derive(Debug, Clone)]
pub struct QuestionDraft {
    /// Question text.
    pub prompt: String,
    /// (text, is_correct) in display order.
    pub choices: Vec<(String, bool)>,
    /// Why the answer is right.
    pub explanation: String,
    /// 1 to 5.
    pub difficulty: i32,
    /// Tag names or slugs.
    pub tags: Vec<String>,
}

/// A checked question: trimmed text, normalised tag slugs.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedQuestion {
    /// Trimmed prompt.
    pub prompt: String,
    /// Trimmed choices.
    pub choices: Vec<(String, bool)>,
    /// Trimmed explanation.
    pub explanation: String,
    /// 1 to 5.
    pub difficulty: i16,
    /// Distinct normalised slugs.
    pub tags: Vec<String>,
}

fn chars_between(value: &str, min: usize, max: usize, field: &str, what: &str) -> AppResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(AppError::bad_input(
            field,
            format!("{what} must be {min} to {max} characters (got {n})"),
        ));
    }
    Ok(())
}

/// Checks a question: prompt 10–500 characters, 2–6 distinct non-empty choices with exactly one
/// correct, explanation 1–2000, difficulty 1–5, at most 10 tags. `prefix` names the input
/// (`input`, or `rows[3]` for an import).
pub fn check_question(draft: &QuestionDraft, prefix: &str) -> AppResult<CheckedQuestion> {
    let field = |name: &str| format!("{prefix}.{name}");
    // Every problem at once, so an editor can mark each field.
    let mut problems = Violations::default();
    let prompt = draft.prompt.trim().to_owned();
    problems.check(chars_between(
        &prompt,
        MIN_PROMPT,
        MAX_PROMPT,
        &field("prompt"),
        "prompt",
    ));
    if !(2..=6).contains(&draft.choices.len()) {
        problems.add(AppError::bad_input(field("choices"), "give 2 to 6 choices"));
    }
    let mut choices = Vec::with_capacity(draft.choices.len());
    let mut seen = std::collections::HashSet::new();
    for (index, (text, correct)) in draft.choices.iter().enumerate() {
        let text = text.trim().to_owned();
        let choice_field = field(&format!("choices[{index}].text"));
        let fits = problems
            .check(chars_between(
                &text,
                1,
                MAX_CHOICE,
                &choice_field,
                "a choice",
            ))
            .is_some();
        if fits && !seen.insert(text.to_lowercase()) {
            problems.add(AppError::bad_input(
                choice_field,
                format!("choice {text:?} appears twice"),
            ));
        }
        choices.push((text, *correct));
    }
    let correct = choices.iter().filter(|(_, c)| *c).count();
    if correct != 1 && !choices.is_empty() {
        problems.add(AppError::bad_input(
            field("choices"),
            format!("exactly one choice must be correct (got {correct})"),
        ));
    }
    let explanation = draft.explanation.trim().to_owned();
    problems.check(chars_between(
        &explanation,
        1,
        MAX_EXPLANATION,
        &field("explanation"),
        "explanation",
    ));
    if !(1..=5).contains(&draft.difficulty) {
        problems.add(AppError::bad_input(
            field("difficulty"),
            "difficulty must be 1 to 5",
        ));
    }
    let tags = problems.check(normalize_tags(&draft.tags, &field("tags")));
    problems.finish()?;
    Ok(CheckedQuestion {
        prompt,
        choices,
        explanation,
        difficulty: draft.difficulty as i16,
        tags: tags.unwrap_or_default(),
    })
}

/// Normalises one tag or slug: lower case, runs of spaces and underscores become `-`, only
/// `a-z`, `0-9` and `-` remain; 1–40 characters.
pub(crate) fn normalize_slug(raw: &str, field: &str) -> AppResult<String> {
    let mut slug = String::new();
    for c in raw.trim().to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => slug.push(c),
            ' ' | '_' | '-' if !slug.ends_with('-') && !slug.is_empty() => slug.push('-'),
            ' ' | '_' | '-' => {}
            _ => {
                return Err(AppError::bad_input(
                    field,
                    format!("{raw:?} may only use letters a-z, digits, spaces and hyphens"),
                ));
            }
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() || slug.len() > 40 {
        return Err(AppError::bad_input(
            field,
            format!("{raw:?} must give a slug of 1 to 40 characters"),
        ));
    }
    Ok(slug)
}

/// Normalises a tag list: distinct slugs, at most 10.
pub(crate) fn normalize_tags(raw: &[String], field: &str) -> AppResult<Vec<String>> {
    if raw.len() > MAX_TAGS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut tags: Vec<String> = Vec::new();
    for (index, tag) in raw.iter().enumerate() {
        let slug = normalize_slug(tag, &format!("{field}[{index}]"))?;
        if !tags.contains(&slug) {
            tags.push(slug);
        }
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> QuestionDraft {
        QuestionDraft {
            prompt: "  What is the capital of France? ".into(),
            choices: vec![
                ("Paris".into(), true),
                ("Lyon".into(), false),
                ("Nice".into(), false),
            ],
            explanation: "Paris has been the capital since 987.".into(),
            difficulty: 1,
            tags: vec!["Capitals".into(), "Europe ".into(), "capitals".into()],
        }
    }

    fn field_of(err: AppError) -> String {
        match err {
            AppError::BadInput { field: Some(f), .. } => f,
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn a_good_question_is_trimmed_and_its_tags_normalised() {
        let checked = check_question(&draft(), "input").expect("valid");
        assert_eq!(checked.prompt, "What is the capital of France?");
        assert_eq!(checked.tags, ["capitals", "europe"]);
    }

    #[test]
    fn choice_rules_name_the_field() {
        let mut two_correct = draft();
        two_correct.choices[1].1 = true;
        assert_eq!(
            field_of(check_question(&two_correct, "input").expect_err("x")),
            "input.choices"
        );
        let mut none_correct = draft();
        none_correct.choices[0].1 = false;
        assert_eq!(
            field_of(check_question(&none_correct, "input").expect_err("x")),
            "input.choices"
        );
        let mut duplicate = draft();
        duplicate.choices[2].0 = " paris ".into();
        assert_eq!(
            field_of(check_question(&duplicate, "input").expect_err("x")),
            "input.choices[2].text"
        );
        let mut one = draft();
        one.choices.truncate(1);
        assert_eq!(
            field_of(check_question(&one, "rows[4]").expect_err("x")),
            "rows[4].choices"
        );
        let mut seven = draft();
        seven.choices = (0..7).map(|n| (format!("c{n}"), n == 0)).collect();
        assert!(check_question(&seven, "input").is_err());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut bad = draft();
        bad.prompt = "Why?".into();
        bad.difficulty = 9;
        bad.choices[1].1 = true;
        let Err(AppError::Invalid(found)) = check_question(&bad, "input") else {
            panic!("expected several problems");
        };
        let fields: Vec<&str> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["input.prompt", "input.choices", "input.difficulty"]
        );
    }

    #[test]
    fn lengths_and_difficulty_are_checked() {
        let mut short = draft();
        short.prompt = "Why?".into();
        assert_eq!(
            field_of(check_question(&short, "input").expect_err("x")),
            "input.prompt"
        );
        let mut hard = draft();
        hard.difficulty = 6;
        assert_eq!(
            field_of(check_question(&hard, "input").expect_err("x")),
            "input.difficulty"
        );
        let mut bare = draft();
        bare.explanation = "  ".into();
        assert_eq!(
            field_of(check_question(&bare, "input").expect_err("x")),
            "input.explanation"
        );
    }

    #[test]
    fn slugs_are_normalised_or_refused() {
        assert_eq!(
            normalize_slug("  Air Quality_Index ", "f").expect("ok"),
            "air-quality-index"
        );
        assert!(normalize_slug("c++", "f").is_err());
        assert!(normalize_slug("---", "f").is_err());
    }
}

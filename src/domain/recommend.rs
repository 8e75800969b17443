//! Mentor recommendations for a mentee: a pure ranking with human-readable reasons.
//!
//! Score = overlap of the mentee's goals, skills and interests with the mentor's skills
//! (weight 3), expertise (2) and industries (1), plus up to 1.5 for a rating backed by
//! reviews, times a capacity factor (more room ranks higher). Mentors with no room left
//! sink below every mentor who has room, but are still listed.

use std::collections::BTreeSet;

/// What the mentee told us they want.
#[derive(Debug, Clone, Default)]
pub struct MenteeInterests {
    pub goals: Vec<String>,
    pub skills: Vec<String>,
    pub interests: Vec<String>,
}

/// A mentor that could be recommended.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub expertise: Vec<String>,
    pub skills: Vec<String>,
    pub industries: Vec<String>,
    pub rating_avg: f64,
    pub rating_count: i64,
    pub active_mentees: i64,
    pub max_mentees: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub id: String,
    pub score: f64,
    pub at_capacity: bool,
    pub reasons: Vec<String>,
}

const STOPWORDS: &[&str] = &[
    "and", "the", "for", "with", "how", "learn", "learning", "get", "better", "become", "want",
    "into", "from", "about", "more", "my", "to", "in", "of", "a", "an", "be", "at", "on",
];

/// The terms a mentee's profile stands for: every tag, and the meaningful words of
/// multi-word tags ("learn rust" also stands for "rust").
pub fn mentee_terms(m: &MenteeInterests) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for raw in m.goals.iter().chain(&m.skills).chain(&m.interests) {
        let t = super::mentor::normalize_tag(raw);
        if t.is_empty() {
            continue;
        }
        for w in t.split(' ') {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '#');
            if w.chars().count() >= 2 && !STOPWORDS.contains(&w) {
                terms.insert(w.to_string());
            }
        }
        terms.insert(t);
    }
    terms
}

fn shared<'a>(terms: &BTreeSet<String>, tags: &'a [String]) -> Vec<&'a str> {
    tags.iter()
        .filter(|t| terms.contains(t.as_str()))
        .map(String::as_str)
        .collect()
}

/// Ranks `candidates` for a mentee, best first; ties break by id for stable output.
pub fn recommend(mentee: &MenteeInterests, candidates: &[Candidate]) -> Vec<Recommendation> {
    let terms = mentee_terms(mentee);
    // The mentee's own skills, apart: a mentor's skill among them is a skill they
    // share; one matching only a goal or interest is one the mentor can help with.
    let own = mentee_terms(&MenteeInterests {
        skills: mentee.skills.clone(),
        ..MenteeInterests::default()
    });
    let mut out: Vec<Recommendation> = candidates
        .iter()
        .map(|c| {
            let skills = shared(&terms, &c.skills);
            let expertise = shared(&terms, &c.expertise);
            let industries = shared(&terms, &c.industries);
            let overlap =
                3.0 * skills.len() as f64 + 2.0 * expertise.len() as f64 + industries.len() as f64;
            let confidence = (c.rating_count.min(10) as f64) / 10.0;
            let rating = (c.rating_avg.clamp(0.0, 5.0) / 5.0) * 1.5 * confidence;
            let room = (c.max_mentees - c.active_mentees).max(0);
            let at_capacity = room == 0;
            let capacity = if c.max_mentees > 0 {
                0.75 + 0.25 * (room as f64 / c.max_mentees as f64)
            } else {
                0.75
            };
            let mut reasons = vec![];
            let (same, helps): (Vec<&str>, Vec<&str>) =
                skills.iter().partition(|t| own.contains(**t));
            if !same.is_empty() {
                reasons.push(format!("shares skills: {}", same.join(", ")));
            }
            if !helps.is_empty() {
                reasons.push(format!("can help with: {}", helps.join(", ")));
            }
            if !expertise.is_empty() {
                reasons.push(format!("expert in: {}", expertise.join(", ")));
            }
            if !industries.is_empty() {
                reasons.push(format!("works in: {}", industries.join(", ")));
            }
            if c.rating_count > 0 && c.rating_avg >= 4.0 {
                reasons.push(format!(
                    "rated {} from {} review{}",
                    super::text::rating(c.rating_avg),
                    c.rating_count,
                    if c.rating_count == 1 { "" } else { "s" }
                ));
            }
            if at_capacity {
                reasons.push("currently at capacity".to_string());
            } else if room <= 1 {
                reasons.push("one mentee spot left".to_string());
            } else {
                reasons.push(format!("{room} mentee spots open"));
            }
            Recommendation {
                id: c.id.clone(),
                score: (overlap + rating) * capacity,
                at_capacity,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.at_capacity
            .cmp(&b.at_capacity)
            .then(b.score.total_cmp(&a.score))
            .then(a.id.cmp(&b.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(
        id: &str,
        skills: &[&str],
        rating: f64,
        count: i64,
        active: i64,
        max: i64,
    ) -> Candidate {
        Candidate {
            id: id.into(),
            expertise: vec![],
            skills: skills.iter().map(|s| s.to_string()).collect(),
            industries: vec![],
            rating_avg: rating,
            rating_count: count,
            active_mentees: active,
            max_mentees: max,
        }
    }

    #[test]
    fn overlap_ranks_first_and_explains_itself() {
        let mentee = MenteeInterests {
            goals: vec!["Learn Rust".into()],
            skills: vec!["tokio".into()],
            interests: vec![],
        };
        let got = recommend(
            &mentee,
            &[
                cand("a", &["python"], 5.0, 10, 0, 3),
                cand("b", &["rust", "tokio"], 3.0, 1, 0, 3),
                cand("c", &["rust"], 0.0, 0, 0, 3),
            ],
        );
        assert_eq!(
            got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["b", "c", "a"]
        );
        // Tokio is the mentee's skill too; Rust is their goal.
        assert_eq!(got[0].reasons[0], "shares skills: tokio");
        assert_eq!(got[0].reasons[1], "can help with: rust");
        assert!(got[2].reasons.iter().any(|r| r.starts_with("rated 5.0")));
    }

    #[test]
    fn full_mentors_sink_but_stay() {
        let mentee = MenteeInterests {
            skills: vec!["rust".into()],
            ..Default::default()
        };
        let got = recommend(
            &mentee,
            &[
                cand("full", &["rust"], 5.0, 10, 3, 3),
                cand("weak", &[], 0.0, 0, 0, 3),
            ],
        );
        assert_eq!(got[0].id, "weak");
        assert_eq!(got[1].id, "full");
        assert!(got[1].at_capacity);
        assert!(
            got[1]
                .reasons
                .contains(&"currently at capacity".to_string())
        );
    }

    #[test]
    fn ties_are_stable() {
        let m = MenteeInterests::default();
        let got = recommend(
            &m,
            &[cand("z", &[], 0.0, 0, 0, 1), cand("y", &[], 0.0, 0, 0, 1)],
        );
        assert_eq!(got[0].id, "y");
    }
}

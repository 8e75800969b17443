//! Matching a program's applicants to its mentors at once.
//!
//! Each possible pair has a weight: a mentee's ranked choice (1st, 2nd, 3rd) and the
//! topics the mentee's goals and skills share with the mentor's expertise and skills.
//! A pair is possible only when the mentor was ranked or shares at least one topic
//! (a pairing with no reason at all is left to a manager). The assignment maximises
//! first the number of people matched, then the sum of the weights, never giving a
//! mentor more than their capacity: a maximum-weight b-matching, computed as a
//! min-cost flow by successive shortest paths (Bellman–Ford on the residual graph).
//! The weights make a first choice worth more than any second choice with every
//! shared topic, so a first choice is honoured whenever its mentor has room left.
//!
//! The result depends only on the input: applicants and mentors are taken in the
//! order of their ids, and every tie is broken by that order.

use std::collections::BTreeMap;

/// Matching everyone first: a pair's base weight outweighs every preference.
const BASE: i64 = 100_000;
/// What a ranked choice adds, first to third.
const RANK: [i64; 3] = [1_000, 600, 300];
/// What each shared topic adds, for at most [`MAX_SHARED`] topics.
const PER_TOPIC: i64 = 40;
const MAX_SHARED: usize = 5;

#[derive(Debug, Clone)]
pub struct Applicant {
    pub id: String,
    /// The applicant's user id: never paired with themselves (someone in a program's
    /// mentor pool may apply as a mentee too).
    pub person: String,
    /// Mentor ids, first choice first.
    pub choices: Vec<String>,
    /// Normalised goals and skills.
    pub topics: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Mentor {
    pub id: String,
    pub name: String,
    /// Seats left for this program (capacity less the mentees already matched).
    pub capacity: i64,
    /// Normalised expertise and skills.
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub applicant_id: String,
    pub mentor_id: String,
    /// 1 to 3 when the mentor was one of the mentee's choices.
    pub choice_rank: Option<i64>,
    /// The pair's weight less the base (higher is better).
    pub score: i64,
    pub shared: Vec<String>,
    /// In words: "2nd choice; shares python, interviews".
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub applicant_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub pairs: Vec<Pair>,
    pub unmatched: Vec<Unmatched>,
}

fn ordinal(rank: i64) -> &'static str {
    match rank {
        1 => "1st",
        2 => "2nd",
        _ => "3rd",
    }
}

/// What a pair is worth and why (none when there is no reason to pair them).
pub fn assess(a: &Applicant, m: &Mentor) -> Option<Pair> {
    if a.person == m.id {
        return None;
    }
    let rank = a
        .choices
        .iter()
        .take(RANK.len())
        .position(|c| *c == m.id)
        .map(|p| p as i64 + 1);
    let shared: Vec<String> = a
        .topics
        .iter()
        .filter(|t| m.topics.contains(t))
        .cloned()
        .collect();
    if rank.is_none() && shared.is_empty() {
        return None;
    }
    let score =
        rank.map_or(0, |r| RANK[r as usize - 1]) + PER_TOPIC * shared.len().min(MAX_SHARED) as i64;
    let mut why = match rank {
        Some(r) => format!("{} choice", ordinal(r)),
        None => "not among their choices".to_string(),
    };
    if !shared.is_empty() {
        why.push_str("; shares ");
        why.push_str(&shared.join(", "));
    }
    Some(Pair {
        applicant_id: a.id.clone(),
        mentor_id: m.id.clone(),
        choice_rank: rank,
        score,
        shared,
        explanation: why,
    })
}

struct Edge {
    to: usize,
    cap: i64,
    cost: i64,
}

struct Graph {
    edges: Vec<Edge>,
    out: Vec<Vec<usize>>,
}

impl Graph {
    fn new(n: usize) -> Self {
        Self {
            edges: vec![],
            out: vec![vec![]; n],
        }
    }

    /// An arc and its residual twin (index ^ 1).
    fn arc(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let id = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.out[from].push(id);
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
        self.out[to].push(id + 1);
        id
    }

    /// The cheapest path from `s` to `t` in the residual graph (Bellman–Ford with a
    /// queue; the residual graph of a min-cost flow has no negative cycle): its cost
    /// and the arcs taken, last first.
    fn cheapest(&self, s: usize, t: usize) -> Option<(i64, Vec<usize>)> {
        let n = self.out.len();
        let mut dist = vec![i64::MAX; n];
        let mut via = vec![usize::MAX; n];
        let mut queued = vec![false; n];
        let mut queue = std::collections::VecDeque::from([s]);
        dist[s] = 0;
        queued[s] = true;
        while let Some(u) = queue.pop_front() {
            queued[u] = false;
            for &e in &self.out[u] {
                let edge = &self.edges[e];
                if edge.cap > 0 && dist[u] + edge.cost < dist[edge.to] {
                    dist[edge.to] = dist[u] + edge.cost;
                    via[edge.to] = e;
                    if !queued[edge.to] {
                        queued[edge.to] = true;
                        queue.push_back(edge.to);
                    }
                }
            }
        }
        if dist[t] == i64::MAX {
            return None;
        }
        let mut path = vec![];
        let mut at = t;
        while at != s {
            let e = via[at];
            path.push(e);
            at = self.edges[e ^ 1].to;
        }
        Some((dist[t], path))
    }
}

/// Matches everyone it can (see the module documentation).
pub fn assign(applicants: &[Applicant], mentors: &[Mentor]) -> Outcome {
    let mut applicants: Vec<&Applicant> = applicants.iter().collect();
    applicants.sort_by(|a, b| a.id.cmp(&b.id));
    applicants.dedup_by(|a, b| a.id == b.id);
    let mut mentors: Vec<&Mentor> = mentors.iter().filter(|m| m.capacity > 0).collect();
    mentors.sort_by(|a, b| a.id.cmp(&b.id));
    mentors.dedup_by(|a, b| a.id == b.id);
    let (na, nm) = (applicants.len(), mentors.len());
    let (s, t) = (0, na + nm + 1);
    let mut g = Graph::new(na + nm + 2);
    let mut candidates: BTreeMap<usize, Pair> = BTreeMap::new();
    for (i, a) in applicants.iter().enumerate() {
        g.arc(s, 1 + i, 1, 0);
        for (j, m) in mentors.iter().enumerate() {
            if let Some(p) = assess(a, m) {
                let e = g.arc(1 + i, 1 + na + j, 1, -(BASE + p.score));
                candidates.insert(e, p);
            }
        }
    }
    for (j, m) in mentors.iter().enumerate() {
        g.arc(1 + na + j, t, m.capacity, 0);
    }
    while let Some((cost, path)) = g.cheapest(s, t) {
        if cost >= 0 {
            break;
        }
        for e in path {
            g.edges[e].cap -= 1;
            g.edges[e ^ 1].cap += 1;
        }
    }
    let mut out = Outcome::default();
    for (i, a) in applicants.iter().enumerate() {
        let taken = g.out[1 + i]
            .iter()
            .find(|&&e| e % 2 == 0 && g.edges[e].cap == 0 && candidates.contains_key(&e));
        match taken {
            Some(e) => out.pairs.push(candidates[e].clone()),
            None => out.unmatched.push(Unmatched {
                applicant_id: a.id.clone(),
                reason: why_unmatched(a, &mentors),
            }),
        }
    }
    out
}

fn why_unmatched(a: &Applicant, mentors: &[&Mentor]) -> String {
    let fits: Vec<&str> = mentors
        .iter()
        .filter(|m| assess(a, m).is_some())
        .map(|m| m.name.as_str())
        .collect();
    if !fits.is_empty() {
        return format!(
            "Every mentor who fits ({}) is full with better-fitting mentees.",
            fits.join(", ")
        );
    }
    if a.choices.is_empty() {
        "Ranked no mentor, and no mentor with room shares their goals or skills.".into()
    } else {
        "Their choices have no room left, and no other mentor with room shares their goals or skills."
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, choices: &[&str], topics: &[&str]) -> Applicant {
        Applicant {
            id: id.into(),
            person: format!("person-{id}"),
            choices: choices.iter().map(|c| c.to_string()).collect(),
            topics: topics.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn mentor(id: &str, capacity: i64, topics: &[&str]) -> Mentor {
        Mentor {
            id: id.into(),
            name: format!("Mentor {id}"),
            capacity,
            topics: topics.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn mentor_of<'a>(o: &'a Outcome, applicant: &str) -> Option<&'a str> {
        o.pairs
            .iter()
            .find(|p| p.applicant_id == applicant)
            .map(|p| p.mentor_id.as_str())
    }

    #[test]
    fn nobody_is_paired_with_themselves() {
        // `m` mentors in the pool and applies as a mentee too, sharing every topic with
        // themselves: paired with the other mentor, never with themselves.
        let mut me = app("a", &[], &["rust"]);
        me.person = "m".into();
        assert!(assess(&me, &mentor("m", 1, &["rust"])).is_none());
        let o = assign(
            &[me],
            &[mentor("m", 1, &["rust"]), mentor("n", 1, &["rust"])],
        );
        assert_eq!(mentor_of(&o, "a"), Some("n"));
    }

    #[test]
    fn a_pair_is_explained() {
        let p = assess(
            &app("a", &["x", "m"], &["python", "interviews", "go"]),
            &mentor("m", 1, &["python", "interviews"]),
        )
        .unwrap();
        assert_eq!(p.explanation, "2nd choice; shares python, interviews");
        assert_eq!(p.score, 600 + 80);
        let q = assess(&app("a", &[], &["rust"]), &mentor("m", 1, &["rust"])).unwrap();
        assert_eq!(q.explanation, "not among their choices; shares rust");
        assert!(assess(&app("a", &[], &["rust"]), &mentor("m", 1, &["go"])).is_none());
    }

    #[test]
    fn first_choices_win_when_there_is_room_and_everyone_is_matched_if_possible() {
        // m1 has one seat and is everyone's first choice; a greedy pass in id order
        // would give it to `a` and leave `c` (who fits nobody else) unmatched.
        let apps = [
            app("a", &["m1", "m2"], &[]),
            app("b", &["m1"], &["sql"]),
            app("c", &["m1"], &[]),
        ];
        let mentors = [
            mentor("m1", 1, &[]),
            mentor("m2", 1, &[]),
            mentor("m3", 1, &["sql"]),
        ];
        let o = assign(&apps, &mentors);
        assert_eq!(mentor_of(&o, "c"), Some("m1"));
        assert_eq!(mentor_of(&o, "a"), Some("m2"));
        assert_eq!(mentor_of(&o, "b"), Some("m3"));
        assert!(o.unmatched.is_empty());
    }

    #[test]
    fn capacity_is_never_exceeded_and_the_rest_wait_with_a_reason() {
        let apps: Vec<Applicant> = (0..7)
            .map(|n| app(&format!("a{n}"), &["m1"], &["python"]))
            .collect();
        let mentors = [
            mentor("m1", 2, &[]),
            mentor("m2", 3, &["python"]),
            mentor("m3", 5, &["go"]),
        ];
        let o = assign(&apps, &mentors);
        let count = |m: &str| o.pairs.iter().filter(|p| p.mentor_id == m).count();
        assert_eq!((count("m1"), count("m2"), count("m3")), (2, 3, 0));
        assert_eq!(o.unmatched.len(), 2);
        assert_eq!(
            o.unmatched[0].reason,
            "Every mentor who fits (Mentor m1, Mentor m2) is full with better-fitting mentees."
        );
        let lonely = assign(&[app("z", &[], &["cobol"])], &mentors);
        assert_eq!(
            lonely.unmatched[0].reason,
            "Ranked no mentor, and no mentor with room shares their goals or skills."
        );
    }

    #[test]
    fn the_same_input_gives_the_same_matching_in_any_order() {
        let mut apps: Vec<Applicant> = (0..40)
            .map(|n| {
                app(
                    &format!("a{n:02}"),
                    &[&format!("m{}", n % 7), &format!("m{}", (n * 3) % 7)],
                    &[["python", "go", "sql"][n % 3]],
                )
            })
            .collect();
        let mut mentors: Vec<Mentor> = (0..7)
            .map(|n| {
                mentor(
                    &format!("m{n}"),
                    1 + n % 3,
                    &[["python", "go", "sql"][n as usize % 3]],
                )
            })
            .collect();
        let first = assign(&apps, &mentors);
        apps.reverse();
        mentors.reverse();
        assert_eq!(assign(&apps, &mentors), first);
        let seats: i64 = mentors.iter().map(|m| m.capacity).sum();
        assert_eq!(first.pairs.len() as i64, seats.min(40));
    }

    #[test]
    fn the_assignment_is_optimal_on_small_cases() {
        // Compare with every assignment on small random cases (a fixed generator).
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let topics = ["a", "b", "c", "d"];
        for _ in 0..200 {
            let na = 1 + next(5) as usize;
            let nm = 1 + next(3) as usize;
            let mentors: Vec<Mentor> = (0..nm)
                .map(|j| {
                    mentor(
                        &format!("m{j}"),
                        1 + next(2) as i64,
                        &[topics[next(4) as usize]],
                    )
                })
                .collect();
            let apps: Vec<Applicant> = (0..na)
                .map(|i| {
                    let choices: Vec<String> = (0..next(3))
                        .map(|_| format!("m{}", next(nm as u64)))
                        .collect();
                    let mut choices_dedup: Vec<&str> = vec![];
                    for c in &choices {
                        if !choices_dedup.contains(&c.as_str()) {
                            choices_dedup.push(c);
                        }
                    }
                    app(
                        &format!("a{i}"),
                        &choices_dedup,
                        &[topics[next(4) as usize]],
                    )
                })
                .collect();
            let got = assign(&apps, &mentors);
            let value = |o: &Outcome| -> i64 { o.pairs.iter().map(|p| BASE + p.score).sum() };
            // Brute force: each applicant picks a mentor or nobody.
            let mut best = 0;
            let options = nm + 1;
            for code in 0..options.pow(na as u32) {
                let mut c = code;
                let mut load = vec![0i64; nm];
                let mut total = 0;
                let mut ok = true;
                for a in &apps {
                    let pick = c % options;
                    c /= options;
                    if pick == nm {
                        continue;
                    }
                    load[pick] += 1;
                    match assess(a, &mentors[pick]) {
                        Some(p) if load[pick] <= mentors[pick].capacity => total += BASE + p.score,
                        _ => ok = false,
                    }
                }
                if ok {
                    best = best.max(total);
                }
            }
            assert_eq!(value(&got), best, "{apps:?} {mentors:?}");
        }
    }
}

//! Matching a whole cohort at once (`domain::matching::assign`): 500 applicants, each
//! ranking three of 60 mentors and bringing three of 30 topics, mentors taking 1 to 8
//! mentees each (a realistic bootcamp cohort), and a larger 2,000 × 200 run.
//!
//! `cargo bench --bench matching`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mentorhub::domain::matching::{Applicant, Mentor, assign};

/// A fixed cohort: the same input every run (a small linear congruential generator).
fn cohort(applicants: usize, mentors: usize) -> (Vec<Applicant>, Vec<Mentor>) {
    let mut seed = 42u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let topic = |k: usize| format!("topic-{k}");
    let ms: Vec<Mentor> = (0..mentors)
        .map(|j| Mentor {
            id: format!("m{j:04}"),
            name: format!("Mentor {j}"),
            capacity: 1 + next(8) as i64,
            topics: (0..4).map(|_| topic(next(30))).collect(),
        })
        .collect();
    let apps = (0..applicants)
        .map(|i| Applicant {
            id: format!("a{i:05}"),
            person: format!("p{i:05}"),
            choices: (0..3).map(|_| format!("m{:04}", next(mentors))).collect(),
            topics: (0..3).map(|_| topic(next(30))).collect(),
        })
        .collect();
    (apps, ms)
}

fn bench(c: &mut Criterion) {
    let (apps, mentors) = cohort(500, 60);
    let seats: i64 = mentors.iter().map(|m| m.capacity).sum();
    let out = assign(&apps, &mentors);
    eprintln!(
        "500 applicants, 60 mentors, {seats} seats: {} matched, {} waiting",
        out.pairs.len(),
        out.unmatched.len()
    );
    c.bench_function("assign 500 applicants to 60 mentors", |b| {
        b.iter(|| assign(black_box(&apps), black_box(&mentors)))
    });
    let (apps, mentors) = cohort(2000, 200);
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    g.bench_function("assign 2000 applicants to 200 mentors", |b| {
        b.iter(|| assign(black_box(&apps), black_box(&mentors)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

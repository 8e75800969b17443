//! `mentorhub demo`: fills an empty database with a believable marketplace, so a
//! newcomer sees a living site on first run and benchmarks have realistic data.
//!
//! Deterministic (a fixed-seed generator), so two runs give the same people. All demo
//! accounts share one password, hashed once. Data is written in batches of a few
//! hundred rows per transaction straight through the store (it is trusted, generated
//! data, and 10,000 mentors must load in seconds, not hours of argon2).

use std::io::Write;

use super::Ctx;
use crate::{
    domain::{
        ids::new_id,
        mentor::ServiceKind,
        mentorship::EXPIRY_DAYS,
        user::{Role, Roles},
    },
    error::{AppError, AppResult},
    store::{
        self,
        mentors::{ProfileWrite, ServiceWrite},
        users::NewUser,
    },
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "mentorhub-demo";

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Katherine",
    "John",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Shafi",
    "Yukihiro",
    "Fei-Fei",
    "Satya",
    "Reshma",
    "Kwame",
    "Amara",
    "Chidi",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Sakura",
    "Lucas",
    "Camila",
    "Mateo",
    "Valentina",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Zara",
    "Omar",
    "Layla",
    "Yusuf",
    "Ingrid",
    "Lars",
    "Freya",
    "Mateus",
    "Beatriz",
    "Nadia",
    "Ivan",
    "Elena",
    "Tomás",
    "Aoife",
    "Siobhan",
    "Kofi",
    "Ama",
    "Thandiwe",
    "Sipho",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Johnson",
    "McCarthy",
    "Wilson",
    "van Rossum",
    "Borg",
    "Stroustrup",
    "Goldwasser",
    "Matsumoto",
    "Li",
    "Nadella",
    "Saujani",
    "Mensah",
    "Okafor",
    "Eze",
    "Sharma",
    "Patel",
    "Chen",
    "Tanaka",
    "Sato",
    "Silva",
    "Rodríguez",
    "García",
    "Rossi",
    "Smith",
    "Müller",
    "Dubois",
    "Haddad",
    "Yilmaz",
    "Nilsen",
    "Andersson",
    "Costa",
    "Kowalski",
    "Ivanova",
    "Murphy",
    "Boateng",
    "Ndlovu",
    "Kim",
    "Nguyen",
];
const ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Stockholm",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
];
const INDUSTRIES: &[&str] = &[
    "fintech",
    "healthcare",
    "e-commerce",
    "gaming",
    "education",
    "developer tools",
    "cybersecurity",
    "climate",
    "media",
    "logistics",
    "public sector",
    "biotech",
];
/// Areas of expertise and the skills that go with them.
const AREAS: &[(&str, &[&str])] = &[
    (
        "backend",
        &[
            "rust",
            "go",
            "java",
            "postgres",
            "kafka",
            "distributed systems",
        ],
    ),
    (
        "frontend",
        &[
            "react",
            "typescript",
            "css",
            "accessibility",
            "web performance",
        ],
    ),
    (
        "data science",
        &["python", "pandas", "sql", "statistics", "experimentation"],
    ),
    (
        "machine learning",
        &["pytorch", "mlops", "nlp", "computer vision", "python"],
    ),
    (
        "devops",
        &["kubernetes", "terraform", "aws", "observability", "linux"],
    ),
    ("mobile", &["swift", "kotlin", "flutter", "ios", "android"]),
    (
        "product management",
        &["roadmaps", "user research", "okrs", "discovery", "pricing"],
    ),
    (
        "design",
        &["figma", "ux research", "design systems", "prototyping"],
    ),
    (
        "career growth",
        &[
            "interviews",
            "negotiation",
            "promotion",
            "résumés",
            "networking",
        ],
    ),
    (
        "engineering leadership",
        &["hiring", "one-on-ones", "team building", "strategy"],
    ),
    (
        "security",
        &[
            "threat modeling",
            "appsec",
            "cryptography",
            "incident response",
        ],
    ),
    (
        "data engineering",
        &["spark", "airflow", "dbt", "sql", "data modeling"],
    ),
];
const COMPANIES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Hooli",
    "Pied Piper",
    "Stark Industries",
    "Wayne Enterprises",
    "Aperture Labs",
    "Cyberdyne",
    "Tyrell",
    "Soylent",
    "Vandelay",
    "Umbrella",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
    "Monarch",
    "Massive Dynamic",
    "Blue Sun",
    "Weyland",
    "Virtucon",
];
const TITLES: &[&str] = &[
    "Staff Engineer",
    "Principal Engineer",
    "Engineering Manager",
    "Senior Product Manager",
    "Design Lead",
    "Data Scientist",
    "VP Engineering",
    "CTO",
    "Tech Lead",
    "Security Architect",
    "Senior Software Engineer",
    "Head of Data",
    "Director of Product",
    "ML Engineer",
];
const GOALS: &[&str] = &[
    "first tech lead role",
    "switch into data science",
    "get promoted to senior",
    "prepare for interviews",
    "learn system design",
    "ship my first app",
    "become a manager",
    "improve my portfolio",
    "negotiate a better offer",
    "learn rust",
    "break into product",
];

/// A small deterministic generator (xorshift64*): demo data needs variety, not secrecy.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn some(&mut self, xs: &[&str], k: usize) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for _ in 0..k * 3 {
            if out.len() >= k {
                break;
            }
            let x = self.pick(xs).to_string();
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    }
}

/// What `demo` made.
#[derive(Debug, Default)]
pub struct DemoReport {
    pub mentors: usize,
    pub mentees: usize,
    pub mentorships: usize,
    pub admin_email: String,
}

fn progress(label: &str, done: usize, total: usize, show: bool) {
    if !show || total == 0 {
        return;
    }
    let step = (total / 100).max(1);
    if !done.is_multiple_of(step) && done != total {
        return;
    }
    let width = 30;
    let filled = width * done / total;
    eprint!(
        "\r{label:<10} [{}{}] {:>3}% {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled),
        100 * done / total
    );
    if done == total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

/// Fills an empty database. Refuses a database that already has accounts.
pub async fn fill(
    ctx: &Ctx,
    mentors: usize,
    mentees: usize,
    show_progress: bool,
) -> AppResult<DemoReport> {
    if store::users::count_active(&ctx.db.pool).await? > 0 {
        return Err(AppError::conflict(
            "not_empty",
            "The database already has accounts; demo data only goes into an empty database.",
        ));
    }
    let hash = super::auth::hash_password(DEMO_PASSWORD).await?;
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let now = ctx.now();
    let mut report = DemoReport {
        admin_email: "admin@demo.example.com".into(),
        ..Default::default()
    };

    // The admin.
    let mut tx = ctx.db.begin_write().await?;
    store::users::insert(
        &mut *tx,
        &NewUser {
            id: &new_id(),
            email: &report.admin_email,
            password_hash: &hash,
            roles: &Roles::new(vec![Role::Mentee, Role::Admin]).to_db(),
            first_name: "Demo",
            last_name: "Admin",
            timezone: "UTC",
            now,
        },
    )
    .await?;
    tx.commit().await?;

    let mentor_roles = Roles::new(vec![Role::Mentee, Role::Mentor]).to_db();
    let mut mentor_ids = Vec::with_capacity(mentors);
    let mut max_of = Vec::with_capacity(mentors);
    const BATCH: usize = 250;
    for start in (0..mentors).step_by(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for i in start..(start + BATCH).min(mentors) {
            let id = new_id();
            let first = g.pick(FIRST);
            let last = g.pick(LAST);
            let zone = ZONES[i % ZONES.len()];
            let (area, skills_of) = AREAS[g.below(AREAS.len())];
            let mut expertise = vec![area.to_string()];
            if g.below(3) == 0 {
                let (second, _) = AREAS[g.below(AREAS.len())];
                if second != area {
                    expertise.push(second.to_string());
                }
            }
            let n = 2 + g.below(3);
            let skills = g.some(skills_of, n);
            let n = 1 + g.below(2);
            let industries = g.some(INDUSTRIES, n);
            let company = g.pick(COMPANIES);
            let title = g.pick(TITLES);
            let years = 4 + g.below(20);
            let rate = 10 * (2 + g.below(15)) as i64;
            let max_mentees = 1 + g.below(6) as i64;
            let headline = format!(
                "{years} years in {}; I mentor on {}",
                industries[0],
                expertise.join(" and ")
            );
            let bio = format!(
                "I'm a {} at {company} with {years} years of experience in {}. I mentor people on {} \
                 and love helping with {}. Bring your questions, your code or your career plans.",
                title.to_lowercase(),
                industries.join(" and "),
                expertise.join(" and "),
                skills.join(", ")
            );
            let email = format!("mentor{}@demo.example.com", i + 1);
            store::users::insert(
                &mut *tx,
                &NewUser {
                    id: &id,
                    email: &email,
                    password_hash: &hash,
                    roles: &mentor_roles,
                    first_name: first,
                    last_name: last,
                    timezone: zone,
                    now,
                },
            )
            .await?;
            store::users::update_profile(
                &mut *tx,
                &id,
                &store::users::ProfileUpdate {
                    first_name: first,
                    last_name: last,
                    headline: &headline,
                    bio: "",
                    avatar_url: "",
                    resume_url: "",
                    linkedin_url: "",
                    timezone: zone,
                },
                now,
            )
            .await?;
            let since_year = 2026 - years as i32;
            let experience = serde_json::json!([{
                "company": company, "title": title,
                "start_date": format!("{since_year:04}-0{}-01", 1 + g.below(9)),
                "end_date": null, "description": format!("Working on {}.", skills.join(", "))
            }]);
            let doc = [
                first,
                last,
                headline.as_str(),
                title,
                company,
                &expertise.join(" "),
                &skills.join(" "),
                bio.as_str(),
            ]
            .join(" \n");
            store::mentors::upsert_profile(
                &mut tx,
                &ProfileWrite {
                    user_id: &id,
                    status: "approved",
                    bio: &bio,
                    expertise: &serde_json::to_string(&expertise).unwrap_or_default(),
                    skills: &serde_json::to_string(&skills).unwrap_or_default(),
                    industries: &serde_json::to_string(&industries).unwrap_or_default(),
                    company,
                    title,
                    experience: &experience.to_string(),
                    hourly_rate: rate,
                    max_mentees,
                    is_public: true,
                    search_doc: &doc,
                    reapply: true,
                    now,
                },
            )
            .await?;
            store::mentors::replace_tags(
                &mut tx,
                &id,
                &[
                    ("expertise", &expertise),
                    ("skill", &skills),
                    ("industry", &industries),
                ],
                now,
            )
            .await?;
            store::mentors::insert_service(
                &mut *tx,
                &new_id(),
                &id,
                &ServiceWrite {
                    kind: ServiceKind::Session.as_str(),
                    title: "1:1 mentoring session",
                    description: "A one-hour video call about whatever you need.",
                    duration_minutes: 60,
                    credit_cost: rate,
                    active: true,
                },
                now,
            )
            .await?;
            if g.below(2) == 0 {
                store::mentors::insert_service(
                    &mut *tx,
                    &new_id(),
                    &id,
                    &ServiceWrite {
                        kind: ServiceKind::ResumeReview.as_str(),
                        title: "Résumé review",
                        description: "Written feedback on your résumé within three days.",
                        duration_minutes: 45,
                        credit_cost: rate / 2,
                        active: true,
                    },
                    now,
                )
                .await?;
            }
            mentor_ids.push(id);
            max_of.push(max_mentees);
            progress("mentors", i + 1, mentors, show_progress);
        }
        tx.commit().await?;
    }
    report.mentors = mentors;

    let mut active = vec![0i64; mentor_ids.len()];
    for start in (0..mentees).step_by(BATCH) {
        let mut tx = ctx.db.begin_write().await?;
        for i in start..(start + BATCH).min(mentees) {
            let id = new_id();
            let first = g.pick(FIRST);
            let last = g.pick(LAST);
            let zone = ZONES[g.below(ZONES.len())];
            let email = format!("mentee{}@demo.example.com", i + 1);
            store::users::insert(
                &mut *tx,
                &NewUser {
                    id: &id,
                    email: &email,
                    password_hash: &hash,
                    roles: &Roles::new(vec![Role::Mentee]).to_db(),
                    first_name: first,
                    last_name: last,
                    timezone: zone,
                    now,
                },
            )
            .await?;
            let (area, skills_of) = AREAS[g.below(AREAS.len())];
            let n = 1 + g.below(2);
            let goals = g.some(GOALS, n);
            let n = 1 + g.below(2);
            let skills = g.some(skills_of, n);
            store::mentors::upsert_mentee_profile(
                &mut *tx,
                &id,
                &format!("Learning {area}; I'd love guidance from someone who has been there."),
                &serde_json::to_string(&goals).unwrap_or_default(),
                &serde_json::to_string(&skills).unwrap_or_default(),
                &serde_json::to_string(&[area]).unwrap_or_default(),
                now,
            )
            .await?;
            // About half the mentees have a mentor, some have a request waiting.
            if !mentor_ids.is_empty() && g.below(2) == 0 {
                let k = g.below(mentor_ids.len());
                let accepted = active[k] < max_of[k] && g.below(3) != 0;
                let mid = new_id();
                store::mentorships::insert(
                    &mut tx,
                    &store::mentorships::NewMentorship {
                        id: &mid,
                        mentor_id: &mentor_ids[k],
                        mentee_id: &id,
                        message: "Hi! I'd love your help with my goals.",
                        expires_at: now + EXPIRY_DAYS * 24 * 3600 * 1_000_000,
                        now,
                    },
                )
                .await?;
                if accepted {
                    store::mentorships::transition(
                        &mut tx, &mid, "pending", "accepted", None, None, now,
                    )
                    .await?;
                    active[k] += 1;
                }
                report.mentorships += 1;
            }
            progress("mentees", i + 1, mentees, show_progress);
        }
        tx.commit().await?;
    }
    report.mentees = mentees;
    Ok(report)
}

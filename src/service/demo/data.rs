//! The demo's vocabulary: names, zones, industries, areas with their skills, companies,
//! titles, goals, article templates and review comments.

pub(super) const FIRST: &[&str] = &[
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

pub(super) const LAST: &[&str] = &[
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

pub(super) const ZONES: &[&str] = &[
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

pub(super) const INDUSTRIES: &[&str] = &[
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
pub(super) const AREAS: &[(&str, &[&str])] = &[
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

pub(super) const COMPANIES: &[&str] = &[
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

pub(super) const TITLES: &[&str] = &[
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

pub(super) const GOALS: &[&str] = &[
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

/// Demo article templates: `{area}` and `{skill}` are filled in.
pub(super) const ARTICLES: &[(&str, &str)] = &[
    (
        "Getting started with {skill}",
        "## Why {skill}\n\nMost people I mentor in **{area}** ask where to begin with {skill}. \
         Start small: one project you care about, finished end to end.\n\n\
         ## A first month\n\n1. Read the official guide once, quickly.\n2. Build something tiny.\n\
         3. Show it to someone and ask what confused them.\n\n> Progress beats perfection.",
    ),
    (
        "Five mistakes I made early in {area}",
        "Looking back at my first years in {area}, these cost me the most:\n\n\
         - Not asking questions soon enough\n- Optimising before measuring\n\
         - Ignoring {skill} fundamentals\n- Working alone on hard problems\n\
         - Not writing things down\n\nEach one is easy to fix once you see it.",
    ),
    (
        "Preparing for {area} interviews",
        "## Before\n\nList the **three projects** you can talk about for ten minutes each.\n\n\
         ## During\n\nThink aloud. Interviewers grade your reasoning, not only the answer.\n\n\
         ## After\n\nWrite down what you were asked; it is the best study guide for next time.\n\n\
         | Stage | Focus |\n|---|---|\n| Screen | {skill} basics |\n| Onsite | depth and trade-offs |",
    ),
    (
        "A reading list for {skill}",
        "Books and articles that shaped how I think about {skill} in {area}:\n\n\
         - the official documentation, cover to cover once\n- one classic book, slowly\n\
         - the source code of a project you use every day\n\n\
         Pick *one*, finish it, then come back for the next.",
    ),
    (
        "Measure before you optimise",
        "The slow part of a program is rarely where you think. Time it first:\n\n\
         ```python\nimport time\n\nstart = time.perf_counter()\nresult = work(load(\"input.csv\"))  # the suspect\n\
         print(f\"{time.perf_counter() - start:.3f} s\")\n```\n\n\
         Then change *one* thing and time it again. The habit works for {skill} too: \
         a number before, a number after.",
    ),
];

pub(super) const COMMENTS: &[&str] = &[
    "Clear, kind and practical. I left with a plan.",
    "Great questions that made me rethink my approach.",
    "Very experienced; the examples from real projects helped a lot.",
    "Helpful session, though we ran out of time.",
    "Exactly the feedback I needed before my interview.",
    "",
];

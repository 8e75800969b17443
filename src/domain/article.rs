//! Mentor articles: who may read one, its stable slug, Markdown rendered to safe
//! HTML, and the privacy-preserving key that counts an anonymous view once a day.
//!
//! Rendering: CommonMark (with tables and strikethrough) to HTML, then sanitised with
//! an allowlist (ammonia): no scripts, styles, frames, forms or event handlers; URLs
//! only `http`, `https`, `mailto` or relative; every link gets
//! `rel="nofollow noopener noreferrer"`. Raw HTML written in the Markdown goes through
//! the same allowlist, so a body is safe whatever its author typed.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::error::FieldError;

/// Who may read a published article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    Members,
    /// Only the author's current (accepted) mentees.
    MyMentees,
}

impl Visibility {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "public" => Ok(Self::Public),
            "members" => Ok(Self::Members),
            "my_mentees" => Ok(Self::MyMentees),
            _ => Err(FieldError::new(
                "visibility",
                "invalid",
                "Choose public, members or my_mentees.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Members => "members",
            Self::MyMentees => "my_mentees",
        }
    }
}

/// Where an article is in its life: written and kept private, or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Draft, Self::Published]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the reader is, relative to one article's author.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader<'a> {
    /// The signed-in user's id, `None` for an anonymous visitor.
    pub user_id: Option<&'a str>,
    pub is_admin: bool,
    /// The reader has an accepted mentorship with the article's author.
    pub is_current_mentee: bool,
}

/// The one rule for every place an article can surface (feed, knowledge base, direct
/// link, search, bookmarks, comments): drafts only to their author and admins;
/// published ones by their visibility.
pub fn can_read(
    reader: Reader<'_>,
    author_id: &str,
    visibility: Visibility,
    published: bool,
) -> bool {
    if reader.is_admin || reader.user_id == Some(author_id) {
        return true;
    }
    if !published {
        return false;
    }
    match visibility {
        Visibility::Public => true,
        Visibility::Members => reader.user_id.is_some(),
        Visibility::MyMentees => reader.user_id.is_some() && reader.is_current_mentee,
    }
}

/// Longest title-derived part of a slug, in characters.
const SLUG_WORDS_MAX: usize = 60;

/// A stable, URL-safe slug: the title's ASCII letters and digits in lower case, words
/// joined by `-`, then the tail of the article id so two articles with the same title
/// never collide and a later title change does not need to move the URL.
pub fn slug(title: &str, id: &str) -> String {
    let mut words = String::new();
    for c in title.chars() {
        let c = super::text::fold_latin(c);
        if c.is_ascii_alphanumeric() {
            if words.len() >= SLUG_WORDS_MAX {
                break;
            }
            words.push(c.to_ascii_lowercase());
        } else if !words.is_empty() && !words.ends_with('-') {
            words.push('-');
        }
    }
    let words = words.trim_end_matches('-');
    let id: Vec<char> = id.chars().filter(char::is_ascii_alphanumeric).collect();
    let tail: String = id[id.len().saturating_sub(8)..].iter().collect();
    match (words.is_empty(), tail.is_empty()) {
        (true, true) => "article".to_string(),
        (true, false) => format!("article-{tail}"),
        (false, true) => words.to_string(),
        (false, false) => format!("{words}-{tail}"),
    }
}

/// The rendering [`render_markdown`] and [`excerpt`] make; raised when their output
/// changes, so stored articles are rendered again (1: highlighted code, excerpts
/// without headings, tables or code; 2: excerpts without the text of inline scripts
/// and styles; 3: task lists' boxes and table columns' alignment).
pub const RENDER_VERSION: i64 = 3;

/// Markdown to sanitised HTML, safe to put in a page as is.
pub fn render_markdown(src: &str) -> String {
    use pulldown_cmark::{Parser, html};

    let mut raw = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut raw, highlighted(Parser::new_ext(src, options())));
    sanitize(&aligned(&raw))
}

/// The Markdown read for pages and excerpts alike: CommonMark with GitHub's tables,
/// strikethrough and task lists.
fn options() -> pulldown_cmark::Options {
    use pulldown_cmark::Options;
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A table column's alignment (`|:---:|`) as a class: the renderer writes it as a
/// `style` attribute, which the sanitizer drops and the site's policy would not apply
/// (no inline styles).
fn aligned(html: &str) -> String {
    const ALIGN: [(&str, &str); 3] = [
        (" style=\"text-align: left\"", " class=\"al-left\""),
        (" style=\"text-align: center\"", " class=\"al-center\""),
        (" style=\"text-align: right\"", " class=\"al-right\""),
    ];
    if !html.contains(" style=\"text-align: ") {
        return html.to_string();
    }
    let mut out = html.to_string();
    for (style, class) in ALIGN {
        for cell in ["<th", "<td"] {
            out = out.replace(&format!("{cell}{style}>"), &format!("{cell}{class}>"));
        }
    }
    out
}

/// The events with each code block replaced by its highlighted HTML
/// ([`super::highlight`]).
fn highlighted<'a>(
    events: impl Iterator<Item = pulldown_cmark::Event<'a>>,
) -> impl Iterator<Item = pulldown_cmark::Event<'a>> {
    use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd};

    let mut block: Option<(String, String)> = None;
    events.filter_map(move |ev| match (&mut block, ev) {
        (None, Event::Start(Tag::CodeBlock(kind))) => {
            let info = match kind {
                CodeBlockKind::Fenced(info) => info.to_string(),
                CodeBlockKind::Indented => String::new(),
            };
            block = Some((info, String::new()));
            None
        }
        (Some((_, code)), Event::Text(t)) => {
            code.push_str(&t);
            None
        }
        (Some(_), Event::End(TagEnd::CodeBlock)) => {
            let (info, code) = block.take().unwrap_or_default();
            Some(Event::Html(CowStr::from(format!(
                "<pre><code>{}</code></pre>\n",
                super::highlight::highlight(&info, &code)
            ))))
        }
        (Some(_), _) => None,
        // A task list's box, as text: the page has no form fields in an article.
        (None, Event::TaskListMarker(done)) => Some(Event::Text(CowStr::from(if done {
            "☑\u{a0}"
        } else {
            "☐\u{a0}"
        }))),
        (None, ev) => Some(ev),
    })
}

fn sanitize(html: &str) -> String {
    let schemes: HashSet<&str> = ["http", "https", "mailto"].into_iter().collect();
    ammonia::Builder::default()
        .url_schemes(schemes)
        .add_allowed_classes("span", &["hl-c", "hl-s", "hl-n", "hl-k", "hl-t"])
        .add_allowed_classes("th", &["al-left", "al-center", "al-right"])
        .add_allowed_classes("td", &["al-left", "al-center", "al-right"])
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// Longest excerpt, in characters.
const EXCERPT_MAX: usize = 240;

/// Minutes to read an article's text, at 220 words a minute (at least 1).
pub fn reading_minutes(src: &str) -> i64 {
    let words = src.split_whitespace().count() as i64;
    ((words + 219) / 220).max(1)
}

/// A plain-text excerpt of a Markdown body for cards and lists: its text, without
/// markup or code blocks, whitespace collapsed, cut at a word near 240 characters.
/// Ends the phrase an excerpt has so far with `mark` unless it has its own
/// punctuation (a sentence's end replaces an item's `;`).
fn end_phrase(text: &mut String, mark: char) {
    let kept = text.trim_end().len();
    text.truncate(kept);
    if text.is_empty() {
        return;
    }
    if mark == '.' && text.ends_with(';') {
        text.pop();
    }
    if !text.ends_with(['.', '!', '?', ':', ';', '…']) {
        text.push(mark);
    }
    text.push(' ');
}

pub fn excerpt(src: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};

    // Read as the article is rendered (tables included), keeping the running text
    // only: headings (the title says enough), code blocks and tables are left out, so
    // neither their words nor their syntax run into the sentences.
    let mut text = String::new();
    let mut skipping = 0usize;
    // Inside an inline `<script>` or `<style>`: its text is not shown on the page (the
    // sanitizer drops it with the tags), so not in the excerpt either.
    let mut in_raw = false;
    for ev in Parser::new_ext(src, options()) {
        if let Event::InlineHtml(h) = &ev {
            let tag = h.trim_start().to_ascii_lowercase();
            if tag.starts_with("<script") || tag.starts_with("<style") {
                in_raw = true;
            } else if tag.starts_with("</script") || tag.starts_with("</style") {
                in_raw = false;
            }
            continue;
        }
        if in_raw {
            continue;
        }
        match ev {
            Event::Start(Tag::CodeBlock(_) | Tag::Heading { .. } | Tag::Table(_)) => skipping += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Heading(_) | TagEnd::Table) => {
                skipping = skipping.saturating_sub(1);
            }
            Event::Text(t) | Event::Code(t) if skipping == 0 => {
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            // A list inside an item's line introduces it.
            Event::Start(Tag::List(_)) if skipping == 0 => end_phrase(&mut text, ':'),
            // A paragraph or a list's item ends a phrase: without its own punctuation,
            // the next one would run into it ("one classic book the source code"), so
            // an item ends with ";", the list and a paragraph with ".".
            Event::End(TagEnd::Item) if skipping == 0 => end_phrase(&mut text, ';'),
            Event::End(TagEnd::Paragraph | TagEnd::List(_)) if skipping == 0 => {
                end_phrase(&mut text, '.');
            }
            _ => {}
        }
        if text.len() > EXCERPT_MAX * 4 {
            break;
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > EXCERPT_MAX {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Most tags on one article.
pub const MAX_TAGS: usize = 10;
/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest body, in characters.
pub const CONTENT_MAX: usize = 100_000;
/// Longest comment, in characters.
pub const COMMENT_MAX: usize = 2_000;

/// The key that counts an anonymous view once per day without storing who it was:
/// a SHA-256 over a server secret, the day and the client's address and user agent.
/// It cannot be reversed to the address, and changes every day so views on
/// different days cannot be linked.
pub fn anonymous_viewer_key(secret: &[u8], day: &str, addr: &str, user_agent: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        secret,
        day.as_bytes(),
        addr.as_bytes(),
        user_agent.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    format!("a:{}", hex::encode(&h.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHOR: &str = "author";

    fn reader(user: Option<&str>, admin: bool, mentee: bool) -> Reader<'_> {
        Reader {
            user_id: user,
            is_admin: admin,
            is_current_mentee: mentee,
        }
    }

    #[test]
    fn the_visibility_matrix() {
        use Visibility::*;
        let anonymous = reader(None, false, false);
        let member = reader(Some("m"), false, false);
        let mentee = reader(Some("me"), false, true);
        let author = reader(Some(AUTHOR), false, false);
        let admin = reader(Some("adm"), true, false);
        // (reader, visibility, published) -> expected
        let cases = [
            (anonymous, Public, true, true),
            (anonymous, Members, true, false),
            (anonymous, MyMentees, true, false),
            (member, Public, true, true),
            (member, Members, true, true),
            (member, MyMentees, true, false),
            (mentee, Public, true, true),
            (mentee, Members, true, true),
            (mentee, MyMentees, true, true),
            (author, MyMentees, true, true),
            (admin, MyMentees, true, true),
        ];
        for (r, v, published, want) in cases {
            assert_eq!(
                can_read(r, AUTHOR, v, published),
                want,
                "{r:?} {v:?} {published}"
            );
        }
        for v in [Public, Members, MyMentees] {
            assert!(!can_read(anonymous, AUTHOR, v, false));
            assert!(!can_read(member, AUTHOR, v, false));
            assert!(
                !can_read(mentee, AUTHOR, v, false),
                "drafts are not for mentees"
            );
            assert!(can_read(author, AUTHOR, v, false));
            assert!(can_read(admin, AUTHOR, v, false));
        }
        // A mentee flag without a signed-in user never opens anything.
        assert!(!can_read(
            reader(None, false, true),
            AUTHOR,
            MyMentees,
            true
        ));
    }

    #[test]
    fn excerpts_are_plain_text() {
        let e = excerpt(
            "# Title\n\nSome *emphasis*, `code` and [a link](https://x.example).\n\n```\nlet hidden = 1;\n```\n\n<script>x</script>",
        );
        assert_eq!(e, "Some emphasis, code and a link.");
        // Nor the text of a script or style inside a paragraph (the page drops it).
        let e = excerpt("Some **markdown** <script>alert(1)</script> and <STYLE>p{}</STYLE>more.");
        assert_eq!(e, "Some markdown and more.");
        // Tables and headings do not leak; code keeps its angle brackets.
        let e = excerpt("## Setup\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nUse `Vec<T>` here.");
        assert_eq!(e, "Use Vec<T> here.");
        assert!(render_markdown("Use `Vec<T>` here.").contains("<code>Vec&lt;T&gt;</code>"));
        assert_eq!(reading_minutes("word "), 1);
        assert_eq!(reading_minutes(&"word ".repeat(1000)), 5);
        let long = excerpt(&"word ".repeat(200));
        assert!(
            long.chars().count() <= EXCERPT_MAX + 1 && long.ends_with('…'),
            "{long}"
        );
        assert_eq!(excerpt(""), "");
        // Lists and short paragraphs do not run together.
        assert_eq!(
            excerpt(
                "Read:\n\n- one classic book\n- the source code\n\nTalk to users\n\nPick one bet"
            ),
            "Read: one classic book; the source code. Talk to users. Pick one bet."
        );
        assert_eq!(
            excerpt("1. First, *time* it!\n2. Then change one thing\n   - nested item\n\nDone."),
            "First, time it! Then change one thing: nested item. Done."
        );
    }

    #[test]
    fn task_lists_and_column_alignment_render_without_forms_or_styles() {
        let html = render_markdown("- [x] read the brief\n- [ ] write the test\n");
        assert!(html.contains("<li>☑&nbsp;read the brief</li>"), "{html}");
        assert!(html.contains("<li>☐&nbsp;write the test</li>"), "{html}");
        assert!(!html.contains("<input") && !html.contains("[x]"), "{html}");
        assert_eq!(
            excerpt("- [x] read the brief\n- [ ] write the test"),
            "read the brief; write the test."
        );
        let html = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n");
        for want in [
            "<th class=\"al-left\">a</th>",
            "<th class=\"al-center\">b</th>",
            "<td class=\"al-right\">3</td>",
            "<td>4</td>",
        ] {
            assert!(html.contains(want), "{want} in {html}");
        }
        assert!(!html.contains("style"), "{html}");
        // Raw HTML keeps no style and no other class.
        let html = render_markdown(
            "<table><tr><td style=\"color: red\" class=\"x al-center\">1</td></tr></table>",
        );
        assert!(!html.contains("style") && !html.contains("\"x"), "{html}");
    }

    #[test]
    fn visibility_parses_only_known_values() {
        for v in [
            Visibility::Public,
            Visibility::Members,
            Visibility::MyMentees,
        ] {
            assert_eq!(Visibility::parse(v.as_str()).unwrap(), v);
        }
        assert!(Visibility::parse("everyone").is_err());
        assert!(Visibility::parse("").is_err());
    }

    #[test]
    fn slugs_are_url_safe_and_unique_per_id() {
        let id = "0193f1a2-7b3c-7d4e-8f90-a1b2c3d4e5f6";
        assert_eq!(slug("Hello, World!", id), "hello-world-c3d4e5f6");
        assert_eq!(slug("  Café   au lait ", id), "cafe-au-lait-c3d4e5f6");
        assert_eq!(slug("日本語", id), "article-c3d4e5f6");
        assert_eq!(
            slug("<script>alert(1)</script>", id),
            "script-alert-1-script-c3d4e5f6"
        );
        let long = slug(&"word ".repeat(100), id);
        assert!(long.len() <= SLUG_WORDS_MAX + 9, "{long}");
        assert!(!long.contains("--"));
        assert_ne!(slug("Same", "id-00000001"), slug("Same", "id-00000002"));
        assert!(
            slug("a/b?c#d e%f", id)
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }

    #[test]
    fn markdown_renders_and_links_are_marked() {
        let html = render_markdown(
            "# Title\n\nSome *emphasis* and [a link](https://example.com).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<table>"));
        assert!(html.contains(r#"href="https://example.com""#));
        assert!(html.contains(r#"rel="nofollow noopener noreferrer""#));
        let code = render_markdown("```\n<b>not bold</b>\n```");
        assert!(code.contains("&lt;b&gt;not bold&lt;/b&gt;"), "{code}");
    }

    #[test]
    fn code_blocks_are_highlighted_and_stay_safe() {
        let html = render_markdown("```rust\nlet v: Vec<u8> = vec![]; // empty\n```\n");
        assert_eq!(
            html,
            "<pre><code><span class=\"hl-k\">let</span> v: <span class=\"hl-t\">Vec</span>&lt;\
             <span class=\"hl-k\">u8</span>&gt; = vec![]; <span class=\"hl-c\">// empty</span>\n\
             </code></pre>\n"
        );
        // The info string never reaches the page; code is text whatever it holds.
        let html = render_markdown(
            "```\"><script>alert(1)</script>\n</code><img src=x onerror=alert(1)>\n```",
        );
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        // Only the highlighter's classes survive, and only on spans.
        let html = render_markdown("<span class=\"hl-k evil\">x</span><p class=\"hl-k\">y</p>");
        assert!(html.contains("<span class=\"hl-k\">x</span>"), "{html}");
        assert!(html.contains("<p>y</p>"), "{html}");
    }

    /// At least 50 stored-XSS payloads, in Markdown and raw HTML forms: none may keep
    /// a script, an event handler, a dangerous URL scheme or an embedding element.
    /// The corpus, one payload per line, shared with the browser test.
    fn xss() -> Vec<&'static str> {
        include_str!("../../tests/data/xss_payloads.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    }

    /// Checks rendered HTML the way a browser would see it: text is escaped (`&lt;`),
    /// so every literal `<` opens a real tag, and only tags can run code.
    fn is_inert(html: &str) -> Result<(), String> {
        let lower = html.to_ascii_lowercase();
        for tag in lower.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if [
                "script", "iframe", "object", "embed", "style", "link", "meta", "form", "input",
                "textarea", "select", "base", "svg", "math", "video", "audio", "template",
                "isindex", "marquee", "frame", "frameset", "applet",
            ]
            .contains(&name.as_str())
            {
                return Err(format!("keeps a <{name}> element"));
            }
            for scheme in ["javascript:", "vbscript:", "data:", "style="] {
                if tag.contains(scheme) {
                    return Err(format!("keeps {scheme} in <{tag}>"));
                }
            }
            // An attribute named on…: whitespace or `/`, `on`, letters, then `=`.
            for (i, c) in tag.char_indices() {
                if !(c.is_ascii_whitespace() || c == '/') {
                    continue;
                }
                if let Some(rest) = tag[i + 1..].strip_prefix("on") {
                    let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
                    if letters > 0 && rest[letters..].trim_start().starts_with('=') {
                        return Err(format!("keeps an event handler in <{tag}>"));
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn the_xss_corpus_renders_inert() {
        let corpus = xss();
        assert!(
            corpus.len() >= 50,
            "the corpus must hold at least 50 payloads"
        );
        for payload in corpus {
            for src in [
                payload.to_string(),
                format!("Intro\n\n{payload}\n\nOutro"),
                format!("- {payload}"),
            ] {
                let html = render_markdown(&src);
                if let Err(why) = is_inert(&html) {
                    panic!("payload {payload:?} {why}: {html}");
                }
            }
        }
        // The checker itself catches what it must.
        assert!(is_inert("<img src=x onerror=alert(1)>").is_err());
        assert!(is_inert("<a href=\"javascript:x\">").is_err());
        assert!(is_inert("<a href=\"https://x\" onclick=\"y\">").is_err());
        assert!(is_inert("<p>on = fine text, javascript: &lt;script&gt;</p>").is_ok());
    }

    #[test]
    fn anonymous_view_keys_are_daily_and_opaque() {
        let k = anonymous_viewer_key(b"secret", "2026-11-21", "203.0.113.7", "Firefox");
        assert_eq!(
            k,
            anonymous_viewer_key(b"secret", "2026-11-21", "203.0.113.7", "Firefox")
        );
        assert_ne!(
            k,
            anonymous_viewer_key(b"secret", "2026-11-22", "203.0.113.7", "Firefox")
        );
        assert_ne!(
            k,
            anonymous_viewer_key(b"secret", "2026-11-21", "203.0.113.8", "Firefox")
        );
        assert_ne!(
            k,
            anonymous_viewer_key(b"other", "2026-11-21", "203.0.113.7", "Firefox")
        );
        assert!(!k.contains("203.0.113.7"));
        assert_eq!(k.len(), 34);
    }
}

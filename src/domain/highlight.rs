//! Syntax highlighting for code blocks in articles: a small lexer per family of
//! languages that marks comments, strings, numbers, keywords and type names with
//! `<span class="hl-…">`, everything else escaped as text. It is not a parser: it
//! knows where comments and strings start and end, which words are keywords, and
//! treats the rest as plain text, which is what readers need to scan code. Unknown
//! languages (and blocks without one) are escaped without marks.

/// The lexical rules of one family of languages.
struct Lang {
    /// Line comments start with one of these.
    line_comments: &'static [&'static str],
    /// Block comments: (open, close).
    block_comment: Option<(&'static str, &'static str)>,
    /// Quotes that open a string.
    quotes: &'static [char],
    /// `'` is also a lifetime or label (Rust): a string only when it closes soon.
    char_literals: bool,
    keywords: &'static [&'static str],
    /// Words starting with a capital are type names.
    capital_types: bool,
    /// Keywords are matched without regard to case (SQL).
    any_case: bool,
}

const RUST: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"'],
    char_literals: true,
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "i8", "i16", "i32", "i64", "i128",
        "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "bool", "char", "str",
    ],
    capital_types: true,
    any_case: false,
};

const PYTHON: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    char_literals: false,
    keywords: &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield", "self",
    ],
    capital_types: true,
    any_case: false,
};

const JAVASCRIPT: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    char_literals: false,
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "of",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "undefined",
        "var",
        "void",
        "while",
        "yield",
        "from",
        "number",
        "string",
        "boolean",
    ],
    capital_types: true,
    any_case: false,
};

/// Go, Java, C, C++, C#, Kotlin, Swift: one set of the words they share most.
const C_LIKE: Lang = Lang {
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\''],
    char_literals: false,
    keywords: &[
        "abstract",
        "auto",
        "bool",
        "break",
        "case",
        "catch",
        "char",
        "chan",
        "class",
        "const",
        "continue",
        "default",
        "defer",
        "delete",
        "do",
        "double",
        "else",
        "enum",
        "extends",
        "false",
        "final",
        "float",
        "for",
        "func",
        "fun",
        "go",
        "goto",
        "if",
        "implements",
        "import",
        "int",
        "interface",
        "long",
        "map",
        "namespace",
        "new",
        "nil",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "range",
        "return",
        "select",
        "short",
        "static",
        "string",
        "struct",
        "switch",
        "template",
        "this",
        "throw",
        "throws",
        "true",
        "try",
        "type",
        "typedef",
        "unsigned",
        "using",
        "val",
        "var",
        "virtual",
        "void",
        "volatile",
        "while",
    ],
    capital_types: true,
    any_case: false,
};

const SHELL: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    char_literals: false,
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
        "in", "function", "return", "export", "local", "set", "echo", "cd", "exit",
    ],
    capital_types: false,
    any_case: false,
};

const SQL: Lang = Lang {
    line_comments: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: &['\''],
    char_literals: false,
    keywords: &[
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "insert",
        "into",
        "values",
        "update",
        "set",
        "delete",
        "create",
        "table",
        "index",
        "on",
        "join",
        "left",
        "right",
        "inner",
        "outer",
        "group",
        "by",
        "order",
        "having",
        "limit",
        "offset",
        "as",
        "distinct",
        "null",
        "is",
        "in",
        "exists",
        "primary",
        "key",
        "references",
        "unique",
        "default",
        "begin",
        "commit",
        "rollback",
        "with",
        "case",
        "when",
        "then",
        "else",
        "end",
        "union",
        "all",
        "returning",
        "conflict",
        "do",
        "nothing",
        "text",
        "integer",
        "bigint",
        "boolean",
    ],
    capital_types: false,
    any_case: true,
};

/// JSON, TOML, YAML: strings, numbers, comments and the literals.
const DATA: Lang = Lang {
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    char_literals: false,
    keywords: &["true", "false", "null"],
    capital_types: false,
    any_case: false,
};

fn lang_of(name: &str) -> Option<&'static Lang> {
    Some(match name.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "python" | "py" | "python3" => &PYTHON,
        "javascript" | "js" | "jsx" | "typescript" | "ts" | "tsx" | "mjs" => &JAVASCRIPT,
        "go" | "golang" | "java" | "c" | "h" | "cpp" | "c++" | "cc" | "hpp" | "csharp" | "cs"
        | "kotlin" | "kt" | "swift" => &C_LIKE,
        "bash" | "sh" | "shell" | "zsh" | "console" => &SHELL,
        "sql" | "postgresql" | "postgres" | "sqlite" => &SQL,
        "json" | "toml" | "yaml" | "yml" => &DATA,
        _ => return None,
    })
}

/// The language of a fenced block's info string (` ```rust,ignore ` is Rust).
pub fn language(info: &str) -> &str {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .next()
        .unwrap_or("")
}

/// Escapes text for HTML.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// The highlighted HTML of `code` in the language `info` names (the inside of a
/// `<code>` element; escaped, with `hl-c`, `hl-s`, `hl-n`, `hl-k` and `hl-t` spans).
pub fn highlight(info: &str, code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let Some(lang) = lang_of(language(info)) else {
        escape_into(&mut out, code);
        return out;
    };
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        let taken = if let Some(n) = comment_len(lang, rest) {
            span(&mut out, "hl-c", &rest[..n]);
            n
        } else if let Some(n) = string_len(lang, rest) {
            span(&mut out, "hl-s", &rest[..n]);
            n
        } else if c.is_ascii_digit() {
            let n = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                .unwrap_or(rest.len());
            span(&mut out, "hl-n", &rest[..n]);
            n
        } else if c.is_alphabetic() || c == '_' {
            let n = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..n];
            let keyword = if lang.any_case {
                lang.keywords.iter().any(|k| k.eq_ignore_ascii_case(word))
            } else {
                lang.keywords.contains(&word)
            };
            if keyword {
                span(&mut out, "hl-k", word);
            } else if lang.capital_types && c.is_uppercase() {
                span(&mut out, "hl-t", word);
            } else {
                escape_into(&mut out, word);
            }
            n
        } else {
            let n = c.len_utf8();
            escape_into(&mut out, &rest[..n]);
            n
        };
        rest = &rest[taken..];
    }
    out
}

/// The length of a comment starting `s`, if one does.
fn comment_len(lang: &Lang, s: &str) -> Option<usize> {
    if lang.line_comments.iter().any(|m| s.starts_with(m)) {
        return Some(s.find('\n').unwrap_or(s.len()));
    }
    let (open, close) = lang.block_comment?;
    s.starts_with(open).then(|| {
        s[open.len()..]
            .find(close)
            .map_or(s.len(), |i| open.len() + i + close.len())
    })
}

/// The length of a string literal starting `s`, if one does: to its closing quote
/// (a backslash escapes the next character), or to the end of the line when it does
/// not close (the end of the block for a backtick).
fn string_len(lang: &Lang, s: &str) -> Option<usize> {
    let q = s.chars().next()?;
    if !(lang.quotes.contains(&q) || (lang.char_literals && q == '\'')) {
        return None;
    }
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if lang.char_literals && q == '\'' && i > 3 && !escaped {
            // `'a` in `&'a str` is a lifetime, `'\u{1F600}'` the longest char literal.
            if !s[1..].starts_with('\\') {
                return None;
            }
        }
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == q => return Some(i + c.len_utf8()),
            '\n' if q != '`' => {
                return if lang.char_literals && q == '\'' {
                    None
                } else {
                    Some(i)
                };
            }
            _ => {}
        }
    }
    (!(lang.char_literals && q == '\'')).then_some(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_rust_keywords_strings_comments_numbers_and_types() {
        let h = highlight(
            "rust",
            "let v: Vec<T> = \"a<b\"; // note\nfn f<'a>(x: &'a str) -> u8 { 42 }",
        );
        assert_eq!(
            h,
            "<span class=\"hl-k\">let</span> v: <span class=\"hl-t\">Vec</span>&lt;<span class=\"hl-t\">T</span>&gt; = \
             <span class=\"hl-s\">&quot;a&lt;b&quot;</span>; <span class=\"hl-c\">// note</span>\n\
             <span class=\"hl-k\">fn</span> f&lt;&#39;a&gt;(x: &amp;&#39;a <span class=\"hl-k\">str</span>) -&gt; \
             <span class=\"hl-k\">u8</span> { <span class=\"hl-n\">42</span> }"
        );
    }

    #[test]
    fn rust_char_literals_are_strings_lifetimes_are_not() {
        assert_eq!(
            highlight("rust", "'x' '\\n' 'static"),
            "<span class=\"hl-s\">&#39;x&#39;</span> <span class=\"hl-s\">&#39;\\n&#39;</span> &#39;<span class=\"hl-k\">static</span>"
        );
    }

    #[test]
    fn escapes_inside_strings_and_unclosed_ones_end_at_the_line() {
        assert_eq!(
            highlight("py", "s = 'it\\'s'\nt = \"open\nx = 1"),
            "s = <span class=\"hl-s\">&#39;it\\&#39;s&#39;</span>\nt = <span class=\"hl-s\">&quot;open</span>\nx = <span class=\"hl-n\">1</span>"
        );
    }

    #[test]
    fn sql_keywords_in_any_case_and_its_comments() {
        assert_eq!(
            highlight("sql", "select id From t -- all\n/* x */"),
            "<span class=\"hl-k\">select</span> id <span class=\"hl-k\">From</span> t <span class=\"hl-c\">-- all</span>\n<span class=\"hl-c\">/* x */</span>"
        );
    }

    #[test]
    fn unknown_languages_are_only_escaped() {
        assert_eq!(highlight("brainfuck", "<if>"), "&lt;if&gt;");
        assert_eq!(highlight("", "let x"), "let x");
        assert_eq!(language("rust,ignore"), "rust");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for lang in ["rust", "py", "js", "go", "sh", "sql", "json"] {
            for code in [
                "'", "\"", "/*", "'\\", "é'ü", "\\", "`", "1.2.3e", "'ab", "x'",
            ] {
                let _ = highlight(lang, code);
            }
        }
    }
}

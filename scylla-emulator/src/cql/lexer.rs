//! The CQL tokenizer, following ScyllaDB's lexer rules (`cql3/Cql.g`).
//!
//! Tokens carry byte offsets into the source; line/column positions are only computed when an
//! error is reported ([`position`]), so lexing stays linear even for huge single-line batches.

use super::parser::SyntaxError;

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// An unquoted identifier or keyword; [`Token::value`] holds it lower-cased.
    Ident,
    /// A `"quoted"` identifier; [`Token::value`] holds it unquoted, `""` unescaped.
    QuotedIdent,
    /// A `'string'` or `$$string$$`; [`Token::value`] holds the content, `''` unescaped.
    String,
    /// `-`? digits.
    Integer,
    /// `1.5`, `1e10`, `-2.5E-3`, `1.`.
    Float,
    /// `30000ms`, `1h30m` (ScyllaDB's DURATION token).
    Duration,
    /// `8-4-4-4-12` hex digits.
    Uuid,
    /// `0x...`.
    Hex,
    /// `true` / `false` (never an identifier); [`Token::value`] is lower-cased.
    Boolean,
    /// `?`
    QMark,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `;`
    Semicolon,
    /// `.`
    Dot,
    /// `:`
    Colon,
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `+`
    Plus,
    /// `-` (not followed by a digit; `-1` is an [`TokenKind::Integer`] as in ScyllaDB)
    Minus,
    /// `*`
    Star,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// The ANTLR-style name used in "expecting ..." messages.
    pub(crate) fn display_name(self) -> &'static str {
        match self {
            TokenKind::Ident => "IDENT",
            TokenKind::QuotedIdent => "QUOTED_NAME",
            TokenKind::String => "STRING_LITERAL",
            TokenKind::Integer => "INTEGER",
            TokenKind::Float => "FLOAT",
            TokenKind::Duration => "DURATION",
            TokenKind::Uuid => "UUID",
            TokenKind::Hex => "HEXNUMBER",
            TokenKind::Boolean => "BOOLEAN",
            TokenKind::QMark => "QMARK",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::LBrace => "'{'",
            TokenKind::RBrace => "'}'",
            TokenKind::Comma => "','",
            TokenKind::Semicolon => "';'",
            TokenKind::Dot => "'.'",
            TokenKind::Colon => "':'",
            TokenKind::Eq => "'='",
            TokenKind::Neq => "'!='",
            TokenKind::Lt => "'<'",
            TokenKind::Lte => "'<='",
            TokenKind::Gt => "'>'",
            TokenKind::Gte => "'>='",
            TokenKind::Plus => "'+'",
            TokenKind::Minus => "'-'",
            TokenKind::Star => "'*'",
            TokenKind::Eof => "EOF",
        }
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Kind.
    pub kind: TokenKind,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
    /// Normalised content for identifiers, quoted identifiers, strings and booleans; empty
    /// otherwise (use the source slice).
    pub value: String,
}

/// 1-based line and 0-based column (in characters) of a byte offset, as ANTLR reports them.
pub(crate) fn position(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.as_bytes().get(..offset).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = before[line_start..]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count();
    (line, col)
}

fn lex_error(src: &str, offset: usize, msg: String) -> SyntaxError {
    let (line, col) = position(src, offset);
    SyntaxError {
        message: format!("line {line}:{col} {msg}"),
    }
}

fn char_display(src: &str, offset: usize) -> String {
    match src.get(offset..).and_then(|s| s.chars().next()) {
        Some(c) => format!("'{c}'"),
        None => "'<EOF>'".to_string(),
    }
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Whether a UUID literal (8-4-4-4-12 hex digits) starts at `i`.
fn uuid_at(b: &[u8], i: usize) -> bool {
    let Some(s) = b.get(i..i + 36) else {
        return false;
    };
    s.iter().enumerate().all(|(k, &c)| match k {
        8 | 13 | 18 | 23 => c == b'-',
        _ => is_hex(c),
    })
}

/// Length of a duration unit starting at `i` (ScyllaDB: y mo w d h m s ms us µs ns, any case).
fn duration_unit_len(b: &[u8], i: usize) -> usize {
    let lower = |k: usize| b.get(i + k).map(|c| c.to_ascii_lowercase());
    match (lower(0), lower(1)) {
        (Some(b'm'), Some(b'o')) | (Some(b'm'), Some(b's')) => 2,
        (Some(b'u'), Some(b's')) | (Some(b'n'), Some(b's')) => 2,
        (Some(0xC2), _) if b.get(i + 1) == Some(&0xB5) && lower(2) == Some(b's') => 3,
        (Some(b'y' | b'w' | b'd' | b'h' | b'm' | b's'), _) => 1,
        _ => 0,
    }
}

/// Split CQL text into tokens; the last token is always [`TokenKind::Eof`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let b = src.as_bytes();
    let n = b.len();
    let mut toks = Vec::with_capacity(n / 4 + 2);
    let mut i = 0;
    let push = |toks: &mut Vec<Token>, kind, start, end| {
        toks.push(Token {
            kind,
            start,
            end,
            value: String::new(),
        })
    };
    while i < n {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'-' if next == Some(b'-') => i = skip_line(b, i),
            b'/' if next == Some(b'/') => i = skip_line(b, i),
            b'/' if next == Some(b'*') => match src[i + 2..].find("*/") {
                Some(k) => i = i + 2 + k + 2,
                None => {
                    return Err(lex_error(
                        src,
                        n,
                        "mismatched character '<EOF>' expecting '*'".into(),
                    ));
                }
            },
            b'\'' => {
                let start = i;
                let (value, end) = lex_quoted(src, i, b'\'')?;
                i = end;
                toks.push(Token {
                    kind: TokenKind::String,
                    start,
                    end,
                    value,
                });
            }
            b'"' => {
                let start = i;
                let (value, end) = lex_quoted(src, i, b'"')?;
                if value.is_empty() {
                    return Err(lex_error(
                        src,
                        start + 1,
                        "mismatched character '\"' expecting set null".into(),
                    ));
                }
                i = end;
                toks.push(Token {
                    kind: TokenKind::QuotedIdent,
                    start,
                    end,
                    value,
                });
            }
            b'$' => {
                if next != Some(b'$') {
                    return Err(lex_error(
                        src,
                        i + 1,
                        format!(
                            "mismatched character {} expecting '$'",
                            char_display(src, i + 1)
                        ),
                    ));
                }
                let start = i;
                match src[i + 2..].find("$$") {
                    Some(k) => {
                        let value = src[i + 2..i + 2 + k].to_string();
                        i = i + 2 + k + 2;
                        toks.push(Token {
                            kind: TokenKind::String,
                            start,
                            end: i,
                            value,
                        });
                    }
                    None => {
                        return Err(lex_error(
                            src,
                            n,
                            "mismatched character '<EOF>' expecting '$'".into(),
                        ));
                    }
                }
            }
            b'0'..=b'9' => {
                let start = i;
                let (kind, end) = lex_number(b, i);
                i = end;
                push(&mut toks, kind, start, end);
            }
            b'-' if next.is_some_and(|d| d.is_ascii_digit()) => {
                let start = i;
                let (kind, end) = lex_number(b, i);
                i = end;
                push(&mut toks, kind, start, end);
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                if uuid_at(b, i) {
                    i += 36;
                    push(&mut toks, TokenKind::Uuid, start, i);
                    continue;
                }
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let value = src[start..i].to_ascii_lowercase();
                let kind = if value == "true" || value == "false" {
                    TokenKind::Boolean
                } else {
                    TokenKind::Ident
                };
                toks.push(Token {
                    kind,
                    start,
                    end: i,
                    value,
                });
            }
            _ => {
                let (kind, len) = match (c, next) {
                    (b'!', Some(b'=')) => (TokenKind::Neq, 2),
                    (b'<', Some(b'=')) => (TokenKind::Lte, 2),
                    (b'>', Some(b'=')) => (TokenKind::Gte, 2),
                    (b'<', _) => (TokenKind::Lt, 1),
                    (b'>', _) => (TokenKind::Gt, 1),
                    (b'=', _) => (TokenKind::Eq, 1),
                    (b'?', _) => (TokenKind::QMark, 1),
                    (b'(', _) => (TokenKind::LParen, 1),
                    (b')', _) => (TokenKind::RParen, 1),
                    (b'[', _) => (TokenKind::LBracket, 1),
                    (b']', _) => (TokenKind::RBracket, 1),
                    (b'{', _) => (TokenKind::LBrace, 1),
                    (b'}', _) => (TokenKind::RBrace, 1),
                    (b',', _) => (TokenKind::Comma, 1),
                    (b';', _) => (TokenKind::Semicolon, 1),
                    (b'.', _) => (TokenKind::Dot, 1),
                    (b':', _) => (TokenKind::Colon, 1),
                    (b'+', _) => (TokenKind::Plus, 1),
                    (b'-', _) => (TokenKind::Minus, 1),
                    (b'*', _) => (TokenKind::Star, 1),
                    _ => {
                        return Err(lex_error(
                            src,
                            i,
                            format!(
                                "no viable alternative at character {}",
                                char_display(src, i)
                            ),
                        ));
                    }
                };
                push(&mut toks, kind, i, i + len);
                i += len;
            }
        }
    }
    push(&mut toks, TokenKind::Eof, n, n);
    Ok(toks)
}

/// Skip a `--` / `//` comment up to and including the end of line (or input).
fn skip_line(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
        i += 1;
    }
    i
}

/// Lex `'...'` or `"..."` starting at `i` (doubled quote = escaped quote). Returns the
/// unescaped content and the end offset.
fn lex_quoted(src: &str, i: usize, q: u8) -> Result<(String, usize), SyntaxError> {
    let b = src.as_bytes();
    let mut out = String::new();
    let mut seg_start = i + 1;
    let mut k = i + 1;
    loop {
        match b.get(k) {
            None => {
                let qc = q as char;
                return Err(lex_error(
                    src,
                    b.len(),
                    format!("mismatched character '<EOF>' expecting '{qc}'"),
                ));
            }
            Some(&c) if c == q => {
                out.push_str(&src[seg_start..k]);
                if b.get(k + 1) == Some(&q) {
                    out.push(q as char);
                    k += 2;
                    seg_start = k;
                } else {
                    return Ok((out, k + 1));
                }
            }
            Some(_) => k += 1,
        }
    }
}

/// Lex a number-like token at `i` (a digit, or `-` followed by a digit): UUID, hex blob,
/// float, duration or integer, preferring the longest match as ANTLR does.
fn lex_number(b: &[u8], start: usize) -> (TokenKind, usize) {
    if b[start] != b'-' && uuid_at(b, start) {
        return (TokenKind::Uuid, start + 36);
    }
    let n = b.len();
    let mut i = start;
    if b[i] == b'-' {
        i += 1;
    }
    let digits_start = i;
    while i < n && b[i].is_ascii_digit() {
        i += 1;
    }
    // `0x...` blob (ScyllaDB: '0' X HEX*).
    if start == digits_start
        && i == digits_start + 1
        && b[digits_start] == b'0'
        && matches!(b.get(i), Some(b'x' | b'X'))
    {
        i += 1;
        while i < n && is_hex(b[i]) {
            i += 1;
        }
        return (TokenKind::Hex, i);
    }
    let exponent_len = |i: usize| -> usize {
        if !matches!(b.get(i), Some(b'e' | b'E')) {
            return 0;
        }
        let mut k = i + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if !b.get(k).is_some_and(|d| d.is_ascii_digit()) {
            return 0;
        }
        while k < n && b[k].is_ascii_digit() {
            k += 1;
        }
        k - i
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
        i += exponent_len(i);
        return (TokenKind::Float, i);
    }
    let e = exponent_len(i);
    if e > 0 {
        return (TokenKind::Float, i + e);
    }
    let unit = duration_unit_len(b, i);
    if unit > 0 {
        i += unit;
        // Further `DIGIT+ UNIT` groups.
        loop {
            let mut k = i;
            while k < n && b[k].is_ascii_digit() {
                k += 1;
            }
            if k == i {
                break;
            }
            let u = duration_unit_len(b, k);
            if u == 0 {
                break;
            }
            i = k + u;
        }
        return (TokenKind::Duration, i);
    }
    (TokenKind::Integer, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        tokenize(s).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn texts(s: &str) -> Vec<String> {
        tokenize(s)
            .unwrap()
            .into_iter()
            .filter(|t| t.kind != TokenKind::Eof)
            .map(|t| s[t.start..t.end].to_string())
            .collect()
    }

    use TokenKind as K;

    #[test]
    fn punctuation_and_operators() {
        assert_eq!(
            kinds("( ) [ ] { } , ; . : = != < <= > >= + - * ?"),
            vec![
                K::LParen,
                K::RParen,
                K::LBracket,
                K::RBracket,
                K::LBrace,
                K::RBrace,
                K::Comma,
                K::Semicolon,
                K::Dot,
                K::Colon,
                K::Eq,
                K::Neq,
                K::Lt,
                K::Lte,
                K::Gt,
                K::Gte,
                K::Plus,
                K::Minus,
                K::Star,
                K::QMark,
                K::Eof
            ]
        );
        // `>>` closing nested generics is two tokens.
        assert_eq!(kinds(">>"), vec![K::Gt, K::Gt, K::Eof]);
    }

    #[test]
    fn identifiers_are_lowercased_quoted_keep_case() {
        let t = tokenize(r#"SeLeCt "MyCol" "a""b" x_1"#).unwrap();
        assert_eq!(t[0].value, "select");
        assert_eq!(t[1].kind, K::QuotedIdent);
        assert_eq!(t[1].value, "MyCol");
        assert_eq!(t[2].value, "a\"b");
        assert_eq!(t[3].value, "x_1");
        assert_eq!(t[3].kind, K::Ident);
    }

    #[test]
    fn booleans() {
        let t = tokenize("TRUE false True").unwrap();
        assert!(t[..3].iter().all(|t| t.kind == K::Boolean));
        assert_eq!(t[0].value, "true");
    }

    #[test]
    fn strings() {
        let t = tokenize("'it''s' '' $$a'b$c$$ $$$$").unwrap();
        assert_eq!(t[0].kind, K::String);
        assert_eq!(t[0].value, "it's");
        assert_eq!(t[1].value, "");
        assert_eq!(t[2].value, "a'b$c");
        assert_eq!(t[3].value, "");
        assert_eq!(t[4].kind, K::Eof);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1 -1 1.5 1. -2.5e-3 1e10 1E+2 0xCAFE 0x 30000ms 1h30m 2mo 3us 4µs"),
            vec![
                K::Integer,
                K::Integer,
                K::Float,
                K::Float,
                K::Float,
                K::Float,
                K::Float,
                K::Hex,
                K::Hex,
                K::Duration,
                K::Duration,
                K::Duration,
                K::Duration,
                K::Duration,
                K::Eof
            ]
        );
        assert_eq!(texts("c-3"), vec!["c", "-3"]);
        assert_eq!(texts("c - 3"), vec!["c", "-", "3"]);
        assert_eq!(texts("1h30"), vec!["1h", "30"]);
        assert_eq!(texts("3e"), vec!["3", "e"]);
    }

    #[test]
    fn uuids() {
        assert_eq!(
            kinds("550e8400-e29b-41d4-a716-446655440000 ABCDEF00-0000-0000-0000-000000000000"),
            vec![K::Uuid, K::Uuid, K::Eof]
        );
        // Not a full UUID: integer then minus-less pieces.
        assert_eq!(texts("550e8400-e29b"), vec!["550e8400", "-", "e29b"]);
    }

    #[test]
    fn comments_and_whitespace() {
        assert_eq!(
            texts("a -- x\n b // y\r\n c /* z \n */ d -- end"),
            vec!["a", "b", "c", "d"]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = tokenize("SELECT @").unwrap_err();
        assert_eq!(e.message, "line 1:7 no viable alternative at character '@'");
        let e = tokenize("a\n  'abc").unwrap_err();
        assert_eq!(
            e.message,
            "line 2:6 mismatched character '<EOF>' expecting '''"
        );
        let e = tokenize("/* never closed").unwrap_err();
        assert!(
            e.message
                .starts_with("line 1:15 mismatched character '<EOF>'")
        );
        let e = tokenize("x = \"\"").unwrap_err();
        assert!(e.message.starts_with("line 1:5"), "{}", e.message);
        let e = tokenize("é").unwrap_err();
        assert_eq!(e.message, "line 1:0 no viable alternative at character 'é'");
        let e = tokenize("'é' !").unwrap_err();
        assert_eq!(e.message, "line 1:4 no viable alternative at character '!'");
        let e = tokenize("$x").unwrap_err();
        assert!(e.message.starts_with("line 1:1 mismatched character 'x'"));
    }

    #[test]
    fn positions() {
        assert_eq!(position("", 0), (1, 0));
        assert_eq!(position("ab\ncd", 4), (2, 1));
        assert_eq!(position("éa", 2), (1, 1));
        assert_eq!(position("abc", 99), (1, 3));
    }
}

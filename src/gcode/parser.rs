//! The nom parser of one G-code line: bytes in, a [`Line`] and issues out.
//!
//! It never fails: whatever it cannot read becomes a [`ParseIssue`] with the
//! column where it happened, and parsing goes on after it.

use super::line::{checksum, Checksum, Code, Line, Value, Word};
use nom::bytes::complete::{take_till, take_while1};
use nom::{IResult, Parser};
use std::fmt;

/// Something the parser could not read on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseIssue {
    /// 1-based byte column where the problem starts.
    pub column: u32,
    /// What went wrong.
    pub kind: IssueKind,
}

/// The kinds of problem a line can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// A byte that starts no word (shown as its value).
    UnexpectedByte(u8),
    /// A number with no digits, as in `X-`.
    BadNumber,
    /// More than [`super::line::MAX_WORDS`] words.
    TooManyWords,
    /// A `(` comment with no closing `)`.
    UnclosedComment,
    /// A `"` string with no closing quote.
    UnclosedString,
    /// The `*checksum` does not match the line.
    ChecksumMismatch {
        /// The value written in the line.
        stated: u32,
        /// The value computed from the bytes.
        computed: u8,
    },
    /// An `N` with no digits, or a number too large.
    BadLineNumber,
    /// The line was longer than the reader keeps; the rest was dropped.
    Truncated,
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueKind::UnexpectedByte(b) if b.is_ascii_graphic() => {
                write!(f, "unexpected character '{}'", *b as char)
            }
            IssueKind::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}"),
            IssueKind::BadNumber => f.write_str("a number was expected"),
            IssueKind::TooManyWords => f.write_str("too many words; the rest was ignored"),
            IssueKind::UnclosedComment => f.write_str("'(' comment is not closed"),
            IssueKind::UnclosedString => f.write_str("quoted string is not closed"),
            IssueKind::ChecksumMismatch { stated, computed } => {
                write!(
                    f,
                    "checksum {stated} does not match the line (computed {computed})"
                )
            }
            IssueKind::BadLineNumber => f.write_str("bad N line number"),
            IssueKind::Truncated => f.write_str("line too long; the rest was ignored"),
        }
    }
}

/// Commands whose argument is free text up to the comment.
fn takes_free_text(code: Code) -> bool {
    code.letter == b'M'
        && code.sub.is_none()
        && matches!(code.number, 23 | 28 | 30 | 32 | 117 | 118 | 928)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn blanks(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let n = i.iter().position(|b| !is_blank(*b)).unwrap_or(i.len());
    Ok((&i[n..], &i[..n]))
}

fn digits(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(i)
}

/// Folds ASCII digits into an integer; `None` on overflow.
fn to_u32(ds: &[u8]) -> Option<u32> {
    ds.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// A decimal number: `[+-]? digits? (. digits?)?` with at least one digit.
/// No exponent: in G-code `E` is a word letter. A nom parser written over
/// the bytes in one pass: it is the hottest function of the whole analysis.
pub fn number(i: &[u8]) -> IResult<&[u8], f64> {
    match decimal(i) {
        Some((len, value)) => Ok((&i[len..], value)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// The length and value of the number `i` starts with (see [`number`]);
/// `None` when it has no digit. Inlined into the word loop, its hot caller.
#[inline(always)]
fn decimal(i: &[u8]) -> Option<(usize, f64)> {
    let (negative, start) = match i.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut mantissa: u64 = 0;
    let int_digits = accumulate_digits(&i[start..], &mut mantissa);
    let mut pos = start + int_digits;
    let mut frac_digits = 0usize;
    if i.get(pos) == Some(&b'.') {
        pos += 1;
        frac_digits = accumulate_digits(&i[pos..], &mut mantissa);
        pos += frac_digits;
    }
    let value = match int_digits + frac_digits {
        0 => return None,
        // Exact: both operands are exact and the division rounds once.
        // (Below 10^15 the mantissa fits an i64, whose conversion is one instruction.)
        1..=15 => mantissa as i64 as f64 / POW10[frac_digits],
        _ => slow_decimal(&i[start..pos]),
    };
    Some((pos, if negative { -value } else { value }))
}

/// Folds the leading ASCII digits of `bytes` into `mantissa`; returns how many.
/// Two digits a round: half the loop overhead for the usual 3-5 digit runs.
#[inline(always)]
fn accumulate_digits(bytes: &[u8], mantissa: &mut u64) -> usize {
    let mut rest = bytes;
    let mut m = *mantissa;
    while let [a, b, tail @ ..] = rest {
        let (da, db) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
        if da >= 10 || db >= 10 {
            break;
        }
        m = m.wrapping_mul(100).wrapping_add(u64::from(da * 10 + db));
        rest = tail;
    }
    if let [a, tail @ ..] = rest {
        let da = a.wrapping_sub(b'0');
        if da < 10 {
            m = m.wrapping_mul(10).wrapping_add(u64::from(da));
            rest = tail;
        }
    }
    *mantissa = m;
    bytes.len() - rest.len()
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Numbers with more than 15 digits go through the standard parser.
#[cold]
#[inline(never)]
fn slow_decimal(digits: &[u8]) -> f64 {
    let text: String = digits.iter().map(|&b| b as char).collect();
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text
    };
    text.trim_end_matches('.').parse().unwrap_or(0.0)
}

/// `N123`: the optional line number.
fn line_number(i: &[u8]) -> IResult<&[u8], Option<u32>> {
    let (rest, _) = nom::bytes::complete::tag_no_case("N").parse(i)?;
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    let (rest, ds) = digits(rest)?;
    if matches!(rest, [b'.', d, ..] if d.is_ascii_digit()) {
        return fail(i); // `N0.1` is a word, not a line number
    }
    Ok((rest, to_u32(ds)))
}

/// `G1`, `M862.3`, `T0`: a command code.
fn code(i: &[u8]) -> IResult<&[u8], Code> {
    let letter = match i.first() {
        Some(&b) if matches!(b | 0x20, b'g' | b'm' | b't') => b.to_ascii_uppercase(),
        _ => return fail(i),
    };
    let rest = &i[1..];
    let n = count_digits(rest);
    let Some(number) = to_u32(&rest[..n]).filter(|_| n > 0) else {
        return fail(i);
    };
    let rest = &rest[n..];
    let (rest, sub) = match rest {
        [b'.', d, ..] if d.is_ascii_digit() => {
            let m = count_digits(&rest[1..]);
            let sub = to_u32(&rest[1..=m]).and_then(|v| u16::try_from(v).ok());
            (&rest[1 + m..], sub)
        }
        _ => (rest, None),
    };
    Ok((
        rest,
        Code {
            letter,
            number,
            sub,
        },
    ))
}

fn count_digits(b: &[u8]) -> usize {
    b.iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len())
}

fn fail<T>(i: &[u8]) -> IResult<&[u8], T> {
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Verify,
    )))
}

/// A quoted string; `""` inside stands for one quote (RepRapFirmware).
fn quoted(i: &[u8]) -> IResult<&[u8], Option<&[u8]>> {
    let (rest, _) = nom::bytes::complete::tag("\"").parse(i)?;
    let mut at = 0;
    while at < rest.len() {
        if rest[at] == b'"' {
            if rest.get(at + 1) == Some(&b'"') {
                at += 2;
                continue;
            }
            return Ok((&rest[at + 1..], Some(&rest[..at])));
        }
        at += 1;
    }
    Ok((&rest[rest.len()..], None))
}

/// Splits a line at its first `;` into the code part and the comment, in one
/// scan that also tells whether the code part holds a `*` (a checksum may follow).
fn split_comment(input: &[u8]) -> (&[u8], Option<&[u8]>, bool) {
    match memchr::memchr2(b';', b'*', input) {
        None => (input, None, false),
        Some(semi) if input[semi] == b';' => (&input[..semi], Some(&input[semi + 1..]), false),
        Some(star) => match memchr::memchr(b';', &input[star..]) {
            Some(semi) => (&input[..star + semi], Some(&input[star + semi + 1..]), true),
            None => (input, None, true),
        },
    }
}

/// Splits `body*cs` into the body and the checksum digits, when the line ends so.
fn split_checksum(code_part: &[u8]) -> (&[u8], Option<&[u8]>) {
    let trimmed = trim_end(code_part);
    match memchr::memrchr(b'*', trimmed) {
        Some(star) if trimmed[star + 1..].iter().all(u8::is_ascii_digit) => {
            (&trimmed[..star], Some(&trimmed[star + 1..]))
        }
        _ => (code_part, None),
    }
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &b[..end]
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    trim_end(&b[start..])
}

/// Parses one line (without its line terminator).
///
/// Issues are appended to `issues`; the returned line holds what was understood.
#[inline]
pub fn parse_line<'a>(input: &'a [u8], issues: &mut Vec<ParseIssue>) -> Line<'a> {
    // The line is filled where the caller keeps it: returning a filled
    // `Line` (about 600 bytes) by value would cost a copy on every line.
    let mut line = Line::default();
    fill_line(input, &mut line, issues);
    line
}

/// Parses `input` into `line`, which must be empty.
#[inline(never)]
fn fill_line<'a>(input: &'a [u8], line: &mut Line<'a>, issues: &mut Vec<ParseIssue>) {
    let (code_part, comment, has_star) = split_comment(input);
    if let Some(c) = comment {
        line.comment = Some(trim(c));
    }
    let (body, stated) = if has_star {
        split_checksum(code_part)
    } else {
        (code_part, None)
    };
    if let Some(ds) = stated {
        let computed = checksum(body);
        line.checksum = Some(match to_u32(ds) {
            Some(s) if s == u32::from(computed) => Checksum::Valid(computed),
            s => {
                let stated = s.unwrap_or(u32::MAX);
                let column = col(input, &code_part[body.len()..]);
                issues.push(ParseIssue {
                    column,
                    kind: IssueKind::ChecksumMismatch { stated, computed },
                });
                Checksum::Invalid { stated, computed }
            }
        });
    }
    parse_body(input, body, line, issues);
}

/// 1-based column of `rest` inside `input` (rest must be a suffix slice of input).
fn col(input: &[u8], rest: &[u8]) -> u32 {
    let offset = rest.as_ptr() as usize - input.as_ptr() as usize;
    u32::try_from(offset + 1).unwrap_or(u32::MAX)
}

fn parse_body<'a>(
    input: &'a [u8],
    body: &'a [u8],
    line: &mut Line<'a>,
    issues: &mut Vec<ParseIssue>,
) {
    let mut rest = blanks(body).map_or(body, |(r, _)| r);
    if matches!(rest.first(), Some(b'N' | b'n')) {
        // A bare `N` (no digits) is read as a flag word below.
        if let Ok((r, n)) = line_number(rest) {
            if n.is_none() {
                issues.push(ParseIssue {
                    column: col(input, rest),
                    kind: IssueKind::BadLineNumber,
                });
            }
            line.number = n;
            rest = r;
        }
    }
    rest = skip_blanks_and_comments(input, rest, line, issues);
    if let Ok((r, c)) = code(rest) {
        line.code = Some(c);
        rest = r;
        if takes_free_text(c) {
            let text = trim(rest);
            if !text.is_empty() {
                line.text = Some(text);
            }
            return;
        }
    }
    parse_words(input, rest, line, issues);
}

/// Skips blanks and `( … )` comments (the first comment is kept).
#[inline(always)]
fn skip_blanks_and_comments<'a>(
    input: &'a [u8],
    rest: &'a [u8],
    line: &mut Line<'a>,
    issues: &mut Vec<ParseIssue>,
) -> &'a [u8] {
    if !matches!(rest.first(), Some(b' ' | b'\t' | b'(')) {
        return rest;
    }
    skip_blanks_and_comments_loop(input, rest, line, issues)
}

#[inline(never)]
fn skip_blanks_and_comments_loop<'a>(
    input: &'a [u8],
    mut rest: &'a [u8],
    line: &mut Line<'a>,
    issues: &mut Vec<ParseIssue>,
) -> &'a [u8] {
    loop {
        rest = blanks(rest).map_or(rest, |(r, _)| r);
        if rest.first() != Some(&b'(') {
            return rest;
        }
        let inner = &rest[1..];
        let (r, text) = take_till::<_, _, nom::error::Error<&[u8]>>(|b| b == b')')
            .parse(inner)
            .unwrap_or((inner, inner));
        if r.is_empty() {
            issues.push(ParseIssue {
                column: col(input, rest),
                kind: IssueKind::UnclosedComment,
            });
        }
        if line.comment.is_none() {
            line.comment = Some(trim(text));
        }
        rest = r.get(1..).unwrap_or(r);
    }
}

fn parse_words<'a>(
    input: &'a [u8],
    mut rest: &'a [u8],
    line: &mut Line<'a>,
    issues: &mut Vec<ParseIssue>,
) {
    let mut full = false;
    loop {
        while let [b' ' | b'\t', tail @ ..] = rest {
            rest = tail;
        }
        if rest.first() == Some(&b'(') {
            rest = skip_blanks_and_comments(input, rest, line, issues);
            continue;
        }
        let Some(&first) = rest.first() else { return };
        if !first.is_ascii_alphabetic() {
            issues.push(ParseIssue {
                column: col(input, rest),
                kind: IssueKind::UnexpectedByte(first),
            });
            rest = skip_token(rest);
            continue;
        }
        let start = rest;
        let (r, value) = word_value(input, &rest[1..], issues);
        rest = r;
        let word = Word {
            letter: first.to_ascii_uppercase(),
            value,
        };
        if line.code.is_none() && line.words().is_empty() {
            if let Some(c) = promote_to_code(word) {
                line.code = Some(c);
                continue;
            }
        }
        if !full && !line.push_word(word) {
            full = true;
            issues.push(ParseIssue {
                column: col(input, start),
                kind: IssueKind::TooManyWords,
            });
        }
    }
}

/// Recovery: a first `G`/`M`/`T` word with a number (after stray bytes, or
/// written `T+.0`) is still the line's command; `G+.1` reads as `G0.1`.
fn promote_to_code(word: Word<'_>) -> Option<Code> {
    let Value::Number(v) = word.value else {
        return None;
    };
    if !matches!(word.letter, b'G' | b'M' | b'T')
        || v.is_nan()
        || v < 0.0
        || v > f64::from(u32::MAX)
    {
        return None;
    }
    if v.fract() == 0.0 {
        return Some(Code::new(word.letter, v as u32));
    }
    // The shortest printed form decides the sub-number, so printing the
    // line and reading it back gives the same code.
    let printed = v.to_string();
    let (int, frac) = printed.split_once('.')?;
    let sub = frac.parse().ok()?;
    Some(Code {
        letter: word.letter,
        number: int.parse().ok()?,
        sub: Some(sub),
    })
}

/// What follows a word letter: a number, a quoted string, or nothing (a flag).
fn word_value<'a>(
    input: &'a [u8],
    after: &'a [u8],
    issues: &mut Vec<ParseIssue>,
) -> (&'a [u8], Value<'a>) {
    // Fast path: the number follows its letter directly, as in `X10.5`.
    if let Some(b'0'..=b'9' | b'-' | b'.') = after.first() {
        if let Some((len, v)) = decimal(after) {
            let rest = &after[len..];
            if !matches!(rest, [b'.', d, ..] if d.is_ascii_digit()) {
                return (rest, Value::Number(v));
            }
        }
    }
    let spaced = blanks(after).map_or(after, |(r, _)| r);
    match spaced.first() {
        Some(b'"') => match quoted(spaced) {
            Ok((r, Some(text))) => (r, Value::Text(text)),
            _ => {
                issues.push(ParseIssue {
                    column: col(input, spaced),
                    kind: IssueKind::UnclosedString,
                });
                (&spaced[spaced.len()..], Value::Text(&spaced[1..]))
            }
        },
        Some(b'0'..=b'9' | b'.' | b'+' | b'-') => match number(spaced) {
            Ok(([b'.', d, ..], _)) if d.is_ascii_digit() => {
                // A version such as `M115 U3.11.0` is text, not a number.
                let end = spaced
                    .iter()
                    .position(|b| !(b.is_ascii_digit() || *b == b'.'))
                    .unwrap_or(spaced.len());
                (&spaced[end..], Value::Text(&spaced[..end]))
            }
            Ok((r, v)) => (r, Value::Number(v)),
            Err(_) => {
                issues.push(ParseIssue {
                    column: col(input, spaced),
                    kind: IssueKind::BadNumber,
                });
                (skip_token(spaced), Value::Flag)
            }
        },
        _ => (after, Value::Flag),
    }
}

/// Skips to the next blank or word letter after a byte that could not be read.
fn skip_token(i: &[u8]) -> &[u8] {
    let n = i[1..]
        .iter()
        .position(|b| is_blank(*b) || b.is_ascii_alphabetic() || *b == b'(')
        .map_or(i.len(), |p| p + 1);
    &i[n..]
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;

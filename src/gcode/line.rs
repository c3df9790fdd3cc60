//! The parsed form of one G-code line, and its canonical printed form.

use arrayvec::ArrayVec;
use std::fmt;

/// Most words one line may carry; extra words are dropped with a diagnostic.
pub const MAX_WORDS: usize = 16;

/// A command code such as `G1`, `M862.3` or `T0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    /// Upper-case command letter (`G`, `M`, `T`, …).
    pub letter: u8,
    /// The integer part of the code number.
    pub number: u32,
    /// The digit(s) after a dot, as in `M862.3`.
    pub sub: Option<u16>,
}

impl Code {
    /// A code without a sub-number.
    pub const fn new(letter: u8, number: u32) -> Self {
        Code {
            letter,
            number,
            sub: None,
        }
    }

    /// True for `letter` + `number` with no sub-number.
    pub fn is(&self, letter: u8, number: u32) -> bool {
        self.letter == letter && self.number == number && self.sub.is_none()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.letter as char, self.number)?;
        if let Some(sub) = self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// The value a parameter word carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A number, as in `X10.5`.
    Number(f64),
    /// A letter with no value, as in `G28 W`.
    Flag,
    /// A quoted string, as in `M862.3 P "MK3S"` (without the quotes).
    Text(&'a [u8]),
}

/// One parameter word: a letter and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Word<'a> {
    /// Upper-case letter.
    pub letter: u8,
    /// What follows the letter.
    pub value: Value<'a>,
}

/// What the `*checksum` of a line said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// The checksum matched the bytes before `*`.
    Valid(u8),
    /// The checksum did not match.
    Invalid {
        /// The value written in the line.
        stated: u32,
        /// The value computed from the bytes.
        computed: u8,
    },
}

/// One parsed line. Borrowed from the input bytes; nothing is allocated.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// `N` line number, when present.
    pub number: Option<u32>,
    /// The command, when the line has one.
    pub code: Option<Code>,
    words: ArrayVec<Word<'a>, MAX_WORDS>,
    /// Free text argument (`M117 Hello`), trimmed.
    pub text: Option<&'a [u8]>,
    /// The comment (after `;` or inside `( … )`), trimmed, without its markers.
    pub comment: Option<&'a [u8]>,
    /// The checksum, when the line has one.
    pub checksum: Option<Checksum>,
}

impl Default for Line<'_> {
    fn default() -> Self {
        Line {
            number: None,
            code: None,
            words: ArrayVec::new(),
            text: None,
            comment: None,
            checksum: None,
        }
    }
}

impl<'a> Line<'a> {
    /// The parameter words in the order they appeared.
    pub fn words(&self) -> &[Word<'a>] {
        &self.words
    }

    /// Appends a word; returns false when the line is full.
    pub(crate) fn push_word(&mut self, word: Word<'a>) -> bool {
        self.words.try_push(word).is_ok()
    }

    /// The first word with this letter.
    pub fn word(&self, letter: u8) -> Option<&Word<'a>> {
        self.words().iter().find(|w| w.letter == letter)
    }

    /// The numeric value of the first word with this letter.
    pub fn get(&self, letter: u8) -> Option<f64> {
        match self.word(letter)?.value {
            Value::Number(v) => Some(v),
            _ => None,
        }
    }

    /// True when a word with this letter is present (with or without a value).
    pub fn has(&self, letter: u8) -> bool {
        self.word(letter).is_some()
    }

    /// True when the line carries nothing but perhaps a comment.
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.words.is_empty() && self.text.is_none()
    }
}

/// Prints the line in a canonical form: `N`, code, words, text, `;comment`.
/// The checksum is not printed (it belongs to the transport).
impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(n) = self.number {
            parts.push(format!("N{n}"));
        }
        if let Some(code) = self.code {
            parts.push(code.to_string());
        }
        for w in self.words() {
            let l = w.letter as char;
            parts.push(match w.value {
                // An `N` word with a whole value would read back as a line
                // number: keep its decimal point.
                Value::Number(v) if l == 'N' && v.fract() == 0.0 => format!("{l}{v:.1}"),
                Value::Number(v) => format!("{l}{v}"),
                Value::Flag => format!("{l}"),
                Value::Text(t) => format!("{l}\"{}\"", String::from_utf8_lossy(t)),
            });
        }
        if let Some(t) = self.text {
            parts.push(String::from_utf8_lossy(t).into_owned());
        }
        f.write_str(&parts.join(" "))?;
        if let Some(c) = self.comment {
            if !parts.is_empty() {
                f.write_str(" ")?;
            }
            write!(f, ";{}", String::from_utf8_lossy(c))?;
        }
        Ok(())
    }
}

/// XOR of the bytes, as the Marlin protocol computes a line checksum.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |acc, b| acc ^ b)
}

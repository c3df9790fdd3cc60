//! The nom parser of one line the firmware sends: `ok`, temperatures,
//! resend requests, `busy:`, errors, `Cap:` lines, host actions, …

use super::errors::{classify_error, ErrorClass};
use super::temps::{parse_temperatures, Temperatures};
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_until, take_while1};
use nom::character::complete::{char, digit1, space0, space1};
use nom::combinator::{map_res, opt, rest};
use nom::sequence::preceded;
use nom::{IResult, Parser};

/// An `ok`, with what advanced-ok and Repetier/Klipper firmware append to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OkReply {
    /// Line number the `ok` acknowledges (`ok N23`, Repetier `ok 23`).
    pub line: Option<u32>,
    /// Free planner slots (`P15`).
    pub planner_free: Option<u32>,
    /// Free command buffer slots (`B3`).
    pub buffer_free: Option<u32>,
    /// Temperatures following the `ok` (answer to `M105`).
    pub temperatures: Option<Temperatures>,
    /// Firmware name following the `ok` (Klipper's answer to `M115`).
    pub firmware: Option<String>,
}

/// A host action request (`//action:pause`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAction {
    /// The action name: `pause`, `resume`, `cancel`, `paused`, `notification`, …
    pub name: String,
    /// Whatever follows the name, trimmed.
    pub argument: String,
}

/// One line from the firmware, understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `ok …`: a line was taken.
    Ok(OkReply),
    /// A temperature report on its own line (auto-report, `M109` waits).
    Temperatures(Temperatures),
    /// `Resend: 23`, `Resend:23`, `Resend: N:23`, `rs N23`: send again from this line.
    Resend(u32),
    /// Repetier's `skip 23`: the firmware already had this line.
    Skip(u32),
    /// `busy: processing`: the firmware is alive but working.
    Busy(String),
    /// `start`: the firmware (re)booted.
    Start,
    /// `FIRMWARE_NAME:…` (answer to `M115`): the name and version.
    Firmware(String),
    /// `Cap:NAME:1`: a capability and whether it is enabled.
    Capability {
        /// Capability name, e.g. `AUTOREPORT_TEMP`.
        name: String,
        /// True for `:1`.
        enabled: bool,
    },
    /// `//action:…`: the firmware asks the host to do something.
    HostAction(HostAction),
    /// `Error:…`, `!! …`, `fatal:…`, classified.
    Error {
        /// What the error means for the link.
        class: ErrorClass,
        /// The text after the marker.
        text: String,
    },
    /// `echo:…`: information.
    Echo(String),
    /// Repetier's `wait`: idle, nothing in its buffer.
    Wait,
    /// Anything else, kept verbatim (trimmed).
    Other(String),
}

fn number(i: &str) -> IResult<&str, u32> {
    map_res(digit1, str::parse::<u32>).parse(i)
}

fn ok_line(i: &str) -> IResult<&str, Reply> {
    let (i, _) = tag_no_case("ok").parse(i)?;
    let (i, line) = opt(preceded(space1, alt((preceded(char('N'), number), number)))).parse(i)?;
    let (i, planner_free) = opt(preceded((space1, char('P')), number)).parse(i)?;
    let (i, buffer_free) = opt(preceded((space1, char('B')), number)).parse(i)?;
    let (i, tail) = rest(i)?;
    let ok = OkReply {
        line,
        planner_free,
        buffer_free,
        temperatures: parse_temperatures(tail),
        firmware: firmware_name(tail),
    };
    Ok((i, Reply::Ok(ok)))
}

fn resend_line(i: &str) -> IResult<&str, Reply> {
    let resend = (
        tag_no_case("resend:"),
        space0,
        opt(tag("N:")),
        opt(char('N')),
    );
    let rs = (tag("rs"), space1, opt(char('N')));
    let (i, n) = preceded(alt((resend.map(|_| ()), rs.map(|_| ()))), number).parse(i)?;
    Ok((i, Reply::Resend(n)))
}

fn skip_line(i: &str) -> IResult<&str, Reply> {
    let (i, n) = preceded((tag("skip"), space1), number).parse(i)?;
    Ok((i, Reply::Skip(n)))
}

fn busy_line(i: &str) -> IResult<&str, Reply> {
    let (i, text) = preceded((opt(tag("echo:")), tag("busy:"), space0), rest).parse(i)?;
    Ok((i, Reply::Busy(text.trim().to_owned())))
}

fn error_line(i: &str) -> IResult<&str, Reply> {
    let marker = alt((
        tag_no_case("error:").map(|_| false),
        tag("!!").map(|_| false),
        tag_no_case("fatal:").map(|_| true),
    ));
    let (i, (marked_fatal, _, text)) = (marker, space0, rest).parse(i)?;
    let text = text.trim().to_owned();
    let class = classify_error(&text, marked_fatal);
    Ok((i, Reply::Error { class, text }))
}

fn action_line(i: &str) -> IResult<&str, Reply> {
    let name = take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_');
    let (i, (_, _, _, name, argument)) =
        (tag("//"), space0, tag("action:"), name, rest).parse(i)?;
    let action = HostAction {
        name: name.to_owned(),
        argument: argument.trim().to_owned(),
    };
    Ok((i, Reply::HostAction(action)))
}

fn capability_line(i: &str) -> IResult<&str, Reply> {
    let name = take_while1(|c: char| c != ':');
    let flag = alt((char('1').map(|_| true), char('0').map(|_| false)));
    let (i, (_, name, _, enabled)) = (tag("Cap:"), name, char(':'), flag).parse(i)?;
    let name = name.trim().to_owned();
    Ok((i, Reply::Capability { name, enabled }))
}

fn echo_line(i: &str) -> IResult<&str, Reply> {
    let (i, text) = preceded(tag("echo:"), rest).parse(i)?;
    Ok((i, Reply::Echo(text.trim().to_owned())))
}

/// The value of `FIRMWARE_NAME:` up to the next `KEY:` field or comma.
fn firmware_name(text: &str) -> Option<String> {
    let (after, _) = preceded(take_until("FIRMWARE_NAME:"), tag("FIRMWARE_NAME:"))
        .parse(text)
        .map_err(|_: nom::Err<nom::error::Error<&str>>| ())
        .ok()?;
    let mut name = Vec::new();
    for word in after.split_whitespace() {
        let is_key = word.ends_with(':') || word.split_once(':').is_some_and(|(k, _)| is_key(k));
        if is_key && !name.is_empty() {
            break;
        }
        let (head, comma) = word
            .split_once(',')
            .map_or((word, false), |(h, _)| (h, true));
        name.push(head);
        if comma {
            break;
        }
    }
    let name = name.join(" ");
    (!name.is_empty()).then_some(name)
}

fn is_key(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
}

/// Parses one line from the firmware (without its terminator). Never fails.
pub fn parse_reply(line: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    let parsed = alt((
        ok_line,
        resend_line,
        skip_line,
        busy_line,
        error_line,
        action_line,
        capability_line,
        echo_line,
    ))
    .parse(text);
    if let Ok((_, reply)) = parsed {
        return reply;
    }
    if text == "start" {
        Reply::Start
    } else if text == "wait" {
        Reply::Wait
    } else if let Some(temps) = parse_temperatures(text) {
        Reply::Temperatures(temps)
    } else if let Some(name) = firmware_name(text) {
        Reply::Firmware(name)
    } else {
        Reply::Other(text.to_owned())
    }
}

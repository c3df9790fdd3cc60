//! G-code: the nom line parser, the interpreter, the Marlin-style motion
//! planner, slicer metadata, and checks against a printer profile.
//!
//! Nothing here does I/O beyond reading from a reader it is given, and no
//! input makes it panic: bad lines become diagnostics with line numbers.

pub mod line;
pub mod parser;
pub mod reader;

pub use line::{checksum, Checksum, Code, Line, Value, Word};
pub use parser::{parse_line, IssueKind, ParseIssue};
pub use reader::{LineReader, RawLine};

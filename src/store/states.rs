//! Text-valued enums stored in CHECK-constrained columns.

use serde::Serialize;
use std::fmt;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The spelling stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored spelling.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Lifecycle of a job.
    JobState {
        /// Being written with its order; not accepted yet.
        Pending = "pending",
        /// Its G-code is being rendered from a product template.
        Rendering = "rendering",
        /// Its G-code could not be made; a person must look.
        NeedsReview = "needs_review",
        /// Waiting for a printer.
        Queued = "queued",
        /// Given to a printer, not yet streaming.
        Assigned = "assigned",
        /// Streaming to its printer.
        Printing = "printing",
        /// Paused on its printer.
        Paused = "paused",
        /// Finished successfully.
        Completed = "completed",
        /// Failed for good.
        Failed = "failed",
        /// Cancelled by a user.
        Cancelled = "cancelled",
        /// Kept out of the queue by an operator.
        Held = "held",
    }
}

impl JobState {
    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 11] = [
        JobState::Pending,
        JobState::Rendering,
        JobState::NeedsReview,
        JobState::Queued,
        JobState::Held,
        JobState::Assigned,
        JobState::Printing,
        JobState::Paused,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
    ];

    /// True for states in which the job occupies a printer.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Assigned | JobState::Printing | JobState::Paused
        )
    }

    /// True for states in which the job waits without a printer.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            JobState::Pending
                | JobState::Rendering
                | JobState::NeedsReview
                | JobState::Queued
                | JobState::Held
        )
    }

    /// True for states a job never leaves.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled
        )
    }
}

text_enum! {
    /// What a printer is doing, as far as the farm knows.
    PrinterState {
        /// Not connected.
        Offline = "offline",
        /// Connected, bed clear, ready for a job.
        Idle = "idle",
        /// Running a job.
        Busy = "busy",
        /// A finished or interrupted print is on the bed.
        AwaitingClear = "awaiting_clear",
        /// Needs a technician.
        Error = "error",
    }
}

text_enum! {
    /// What an API key may do.
    Role {
        /// Runs the farm.
        Operator = "operator",
        /// Maintains printers.
        Technician = "technician",
        /// Submits orders for its own customers.
        Shop = "shop",
    }
}

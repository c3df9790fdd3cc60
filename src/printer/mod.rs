//! printer (to be written).

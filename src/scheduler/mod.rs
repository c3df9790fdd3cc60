//! scheduler (to be written).

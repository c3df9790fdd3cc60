//! api (to be written).

//! sct

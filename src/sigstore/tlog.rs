//! tlog

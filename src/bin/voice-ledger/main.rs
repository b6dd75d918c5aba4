//! The `voice-ledger` command line.
fn main() {}

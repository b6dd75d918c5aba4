//! The SQLite record store (placeholder until written).

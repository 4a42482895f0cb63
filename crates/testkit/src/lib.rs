//! Test data shared by the integration tests (`tests/integration/`) and the benchmarks
//! (`crates/bench`), so both replay exactly the same requests. Pure data: it depends on no
//! Agora crate, so `agora-server` can use it as a dev-dependency without a cycle.

pub mod corpus;

//! Scenarios of capabilities and kernel objects: invalid slots, rights, Grant, revocation,
//! memory budgets, transfers and endpoint deletion.

use super::Scenario;

pub const SCENARIOS: &[Scenario] = &[];

//! The planner: pure arithmetic from a throughput target to users, pacing
//! and an acceptance band, plus the plan file that carries them to `pace
//! run`. No I/O and no async here: callers read and write files.

pub mod band;
pub mod bytesize;
pub mod check;
pub mod data;
pub mod extract;
pub mod file;
pub mod fit;
pub mod overrides;
pub mod pacing;
pub mod rate;
pub mod resource;
pub mod segment;
pub mod solve;
pub mod span;
pub mod stairs;
pub mod think;
pub mod thresholds;
pub mod vars;
pub mod write;

pub use band::{Band, Cycle, Load};
pub use pacing::{DistKind, Pacing};
pub use rate::GroupCadence;
pub use solve::{PlanInput, Solution, solve};

/// A planning error: the flag (or plan key) at fault and what is wrong, in
/// one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct PlanError {
    pub flag: String,
    pub message: String,
}

impl PlanError {
    pub fn new(flag: &str, message: impl Into<String>) -> Self {
        PlanError {
            flag: flag.to_string(),
            message: message.into(),
        }
    }
}

//! pace: plan load tests that are right by construction, run them, and prove
//! they met the plan.
//!
//! Data flows one way: [`cli`] -> [`plan`] (pure arithmetic, no I/O) ->
//! runner -> results -> exporters -> verdict. [`capacity`] models, pure
//! arithmetic too, read the same results.

/// `eprintln!` for pace's own messages: the formatted text on one line,
/// with nothing a terminal would obey ([`visible::one_line`]): a message
/// may quote a name, a path or a value the user wrote.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::visible::one_line(&format!($($arg)*)))
    };
}

pub mod capacity;
pub mod cli;
pub mod export;
pub mod input;
pub mod k8s;
pub mod merge;
pub mod output;
pub mod plan;
pub mod pyak47;
pub mod ratio;
pub mod results;
pub mod runner;
pub mod store;
pub mod target;
pub mod units;
pub mod verdict;
pub mod visible;

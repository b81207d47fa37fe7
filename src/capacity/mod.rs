//! Capacity models: pure arithmetic like [`crate::plan`] (no I/O, no
//! async), reading measured numbers and answering what the system will do
//! at loads not yet tried. Formulas, reference data sets and the published
//! answers the tests reproduce are in `shared/reference/capacity.md`.

pub mod bounds;
pub mod choice;
pub mod erlang;
pub mod findings;
pub mod interval;
pub mod knee;
pub mod laws;
pub mod levels;
pub mod mva;
pub mod network;
pub mod plateau;
pub mod usl;

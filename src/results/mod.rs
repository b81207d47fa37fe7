//! The one recorded model of a run: raw samples streamed to disk, their
//! aggregate, and `summary.json`. The verdict and every report read these;
//! none of them reaches back into the runner.

pub mod aggregate;
pub mod sample;
pub mod summary;

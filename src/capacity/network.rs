//! A closed, single-class queueing network: the service demand of each
//! centre and the users' think time. Shared by [`super::bounds`] and
//! [`super::mva`] so that both read the same validated model.
//!
//! Vocabulary from Lazowska et al., *Quantitative System Performance*
//! (QSP, 1984) ch. 3-6 and Jain, *The Art of Computer Systems Performance
//! Analysis* (1991) ch. 33-34: a *queueing* centre (FCFS or PS, one server,
//! load-independent) makes jobs wait for each other; a *delay* centre (an
//! infinite-server station, e.g. a fixed network hop) never queues.

use serde::Serialize;

/// The largest number of centres a model may have: bounds the work of one
/// MVA step (O(centres)) for a command-line what-if.
pub const MAX_CENTRES: usize = 1000;

/// Whether jobs queue at a centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One server; jobs wait for each other (FCFS/PS, load-independent).
    Queueing,
    /// Infinite servers: a job's residence time is its demand, whatever the load.
    Delay,
}

/// One service centre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Centre {
    /// A label for tables (`cpu`, `disk`, or `c1`, `c2`, ...).
    pub name: String,
    /// Service demand D_k = V_k·S_k in **seconds** per job (QSP §3.2).
    pub demand_s: f64,
    pub kind: Kind,
}

/// A validated closed network: at least one queueing centre with a positive
/// demand, all demands finite and >= 0, think time finite and >= 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    pub centres: Vec<Centre>,
    /// Think time Z in **seconds** (the terminals' delay between a response
    /// and the next request).
    pub think_s: f64,
}

/// Why a network was refused; the text names the quantity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    #[error("the demand of centre {name} ({value}) must be finite and >= 0 seconds")]
    BadDemand { name: String, value: f64 },
    #[error("the think time ({0}) must be finite and >= 0 seconds")]
    BadThink(f64),
    #[error("no queueing centre has a positive demand: the model has no bottleneck")]
    NoBottleneck,
    #[error("{0} centres: at most {MAX_CENTRES}")]
    TooMany(usize),
}

impl Network {
    /// Checks and builds a network.
    ///
    /// # Errors
    /// [`NetworkError`] for a negative/NaN/infinite demand or think time, no
    /// queueing centre with demand > 0, or more than [`MAX_CENTRES`] centres.
    pub fn new(centres: Vec<Centre>, think_s: f64) -> Result<Self, NetworkError> {
        if centres.len() > MAX_CENTRES {
            return Err(NetworkError::TooMany(centres.len()));
        }
        for c in &centres {
            if !c.demand_s.is_finite() || c.demand_s < 0.0 {
                return Err(NetworkError::BadDemand {
                    name: c.name.clone(),
                    value: c.demand_s,
                });
            }
        }
        if !think_s.is_finite() || think_s < 0.0 {
            return Err(NetworkError::BadThink(think_s));
        }
        if !centres
            .iter()
            .any(|c| c.kind == Kind::Queueing && c.demand_s > 0.0)
        {
            return Err(NetworkError::NoBottleneck);
        }
        Ok(Network { centres, think_s })
    }

    /// Queueing centres named `c1`, `c2`, ... from demands in seconds.
    ///
    /// # Errors
    /// As [`Network::new`].
    pub fn from_demands(demands_s: &[f64], think_s: f64) -> Result<Self, NetworkError> {
        let centres = demands_s
            .iter()
            .enumerate()
            .map(|(i, &d)| Centre {
                name: format!("c{}", i + 1),
                demand_s: d,
                kind: Kind::Queueing,
            })
            .collect();
        Network::new(centres, think_s)
    }

    /// D = Σ D_k over queueing centres, seconds: the response time of one
    /// user alone, queueing part (QSP §5.2).
    pub fn queueing_demand_s(&self) -> f64 {
        self.queueing().map(|c| c.demand_s).sum()
    }

    /// Σ D_k over delay centres, seconds. For the bounds a delay centre acts
    /// like think time: it adds to every response but never saturates.
    pub fn delay_demand_s(&self) -> f64 {
        self.centres
            .iter()
            .filter(|c| c.kind == Kind::Delay)
            .map(|c| c.demand_s)
            // fold from +0.0: an empty f64 `sum()` is −0.0, which JSON shows.
            .fold(0.0, |a, b| a + b)
    }

    /// The bottleneck: the queueing centre with the largest demand (the
    /// first of equals), as its index into `centres`.
    pub fn bottleneck(&self) -> usize {
        let mut best = 0;
        let mut max = f64::NEG_INFINITY;
        for (i, c) in self.centres.iter().enumerate() {
            if c.kind == Kind::Queueing && c.demand_s > max {
                max = c.demand_s;
                best = i;
            }
        }
        best
    }

    /// D_max, seconds: the bottleneck's demand (> 0 by construction).
    pub fn max_demand_s(&self) -> f64 {
        self.centres[self.bottleneck()].demand_s
    }

    /// The number of queueing centres K (for the balanced job bounds' D_avg = D/K).
    pub fn queueing_count(&self) -> usize {
        self.queueing().count()
    }

    fn queueing(&self) -> impl Iterator<Item = &Centre> {
        self.centres.iter().filter(|c| c.kind == Kind::Queueing)
    }
}

//! The `[target.embedded]` table of a plan file.

use serde::{Deserialize, Serialize};

use super::{
    DEFAULT_QUEUE, Latency, TargetConfig, check_error_rate, check_queue, check_size, check_status,
    check_workers, parse_error_rate,
};

/// A value a plan may write as a string or as a number: `latency = "20ms"`
/// or `latency = 0.02`; `error_rate = "1%"` or `error_rate = 0.01`.
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum TextOrNumber {
    Text(String),
    Number(f64),
}

/// `[target.embedded]`: serve the run's requests from an in-process target.
/// Every key is optional; a missing key takes the [`TargetConfig`] default.
///
/// ```toml
/// [target.embedded]
/// latency = "lognormal:20ms,0.5"   # any latency spec, or seconds as a number
/// error_rate = "1%"                # or 0.01
/// status = 200
/// error_status = 500
/// size = 100                       # response body bytes
/// seed = 42                        # optional, for repeatable delays and errors
/// workers = 4                      # optional: serve 4 at a time, `latency` is the service time
/// queue = 1000                     # with workers: at most this many wait; more get 503
/// ```
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<TextOrNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<TextOrNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Requests served at once; absent = all at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u64>,
    /// Requests that may wait for a worker (only with `workers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<u64>,
}

impl EmbeddedTarget {
    /// The server configuration, or the offending key and what is wrong.
    pub fn to_config(&self) -> Result<TargetConfig, (&'static str, String)> {
        let d = TargetConfig::default();
        let latency = match &self.latency {
            None => d.latency,
            Some(TextOrNumber::Text(s)) => s.parse::<Latency>().map_err(|e| ("latency", e))?,
            Some(TextOrNumber::Number(v)) => {
                let l = Latency::Fixed(*v);
                l.validate().map_err(|e| ("latency", e))?;
                l
            }
        };
        let error_rate = match &self.error_rate {
            None => d.error_rate,
            Some(TextOrNumber::Text(s)) => parse_error_rate(s).map_err(|e| ("error_rate", e))?,
            Some(TextOrNumber::Number(v)) => {
                check_error_rate(*v).map_err(|e| ("error_rate", format!("{v}: {e}")))?;
                *v
            }
        };
        let status = self.status.unwrap_or(d.status);
        check_status(status).map_err(|e| ("status", e))?;
        let error_status = self.error_status.unwrap_or(d.error_status);
        check_status(error_status).map_err(|e| ("error_status", e))?;
        let size = match self.size {
            None => d.size,
            Some(v) => {
                let s = usize::try_from(v).unwrap_or(usize::MAX);
                check_size(s).map_err(|e| ("size", e))?;
                s
            }
        };
        let workers = match self.workers {
            None => None,
            Some(v) => {
                let w = usize::try_from(v).unwrap_or(usize::MAX);
                check_workers(w).map_err(|e| ("workers", e))?;
                Some(w)
            }
        };
        let queue = match (self.queue, workers) {
            (None, _) => DEFAULT_QUEUE,
            // A queue without workers would silently do nothing.
            (Some(_), None) => {
                return Err((
                    "queue",
                    "a queue needs `workers` (without workers every request is served at once)"
                        .into(),
                ));
            }
            (Some(v), Some(_)) => {
                let q = usize::try_from(v).unwrap_or(usize::MAX);
                check_queue(q).map_err(|e| ("queue", e))?;
                q
            }
        };
        Ok(TargetConfig {
            latency,
            error_rate,
            status,
            error_status,
            size,
            seed: self.seed,
            workers,
            queue,
            idle_timeout: super::IDLE_TIMEOUT,
        })
    }

    /// The table that [`to_config`](Self::to_config) turns back into `cfg`,
    /// with every key written out.
    pub fn from_config(cfg: &TargetConfig) -> Self {
        EmbeddedTarget {
            latency: Some(TextOrNumber::Text(cfg.latency.to_string())),
            error_rate: Some(TextOrNumber::Number(cfg.error_rate)),
            status: Some(cfg.status),
            error_status: Some(cfg.error_status),
            size: Some(cfg.size as u64),
            seed: cfg.seed,
            workers: cfg.workers.map(|w| w as u64),
            queue: cfg.workers.map(|_| cfg.queue as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<EmbeddedTarget, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn empty_table_is_the_default() {
        let e = load("").unwrap();
        assert_eq!(e, EmbeddedTarget::default());
        assert_eq!(e.to_config().unwrap(), TargetConfig::default());
    }

    #[test]
    fn every_key() {
        let e = load(
            r#"
            latency = "uniform:10ms..30ms"
            error_rate = "1%"
            status = 201
            error_status = 503
            size = 2048
            seed = 7
            "#,
        )
        .unwrap();
        let c = e.to_config().unwrap();
        assert_eq!(
            c.latency,
            Latency::Uniform {
                min: 0.01,
                max: 0.03
            }
        );
        assert_eq!(c.error_rate, 0.01);
        assert_eq!(
            (c.status, c.error_status, c.size, c.seed),
            (201, 503, 2048, Some(7))
        );
    }

    #[test]
    fn numbers_are_accepted() {
        let c = load("latency = 0.02\nerror_rate = 0.05")
            .unwrap()
            .to_config()
            .unwrap();
        assert_eq!(c.latency, Latency::Fixed(0.02));
        assert_eq!(c.error_rate, 0.05);
        let c = load("latency = 1\nerror_rate = 0")
            .unwrap()
            .to_config()
            .unwrap();
        assert_eq!(c.latency, Latency::Fixed(1.0));
        assert_eq!(c.error_rate, 0.0);
    }

    #[test]
    fn bad_values_name_the_key() {
        let key = |t: &str| load(t).unwrap().to_config().unwrap_err().0;
        assert_eq!(key(r#"latency = "gamma:1s""#), "latency");
        assert_eq!(key("latency = -1"), "latency");
        assert_eq!(key(r#"error_rate = "150%""#), "error_rate");
        assert_eq!(key("error_rate = 2"), "error_rate");
        assert_eq!(key("status = 99"), "status");
        assert_eq!(key("error_status = 700"), "error_status");
        assert_eq!(key("size = 999999999999"), "size");
        assert_eq!(key("workers = 0"), "workers");
        assert_eq!(key("workers = 4\nqueue = 99999999"), "queue");
        assert_eq!(key("queue = 10"), "queue");
    }

    #[test]
    fn workers_and_queue() {
        let c = load("latency = \"20ms\"\nworkers = 4")
            .unwrap()
            .to_config()
            .unwrap();
        assert_eq!((c.workers, c.queue), (Some(4), DEFAULT_QUEUE));
        let c = load("workers = 2\nqueue = 0").unwrap().to_config().unwrap();
        assert_eq!((c.workers, c.queue), (Some(2), 0));
        assert!(load("workers = -1").is_err());
        assert!(load("workers = \"4\"").is_err());
    }

    #[test]
    fn unknown_and_mistyped_keys_are_refused() {
        assert!(load("latancy = \"20ms\"").is_err());
        assert!(load("status = \"ok\"").is_err());
        assert!(load("size = -1").is_err());
    }

    #[test]
    fn round_trips_through_toml() {
        let cfg = TargetConfig {
            latency: "lognormal:20ms,0.5".parse().unwrap(),
            error_rate: 0.01,
            status: 200,
            error_status: 503,
            size: 10,
            seed: Some(3),
            workers: Some(4),
            queue: 20,
            idle_timeout: crate::target::IDLE_TIMEOUT,
        };
        let e = EmbeddedTarget::from_config(&cfg);
        let text = toml::to_string(&e).unwrap();
        let back = load(&text).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.to_config().unwrap(), cfg);
        // Missing keys are not written.
        let text = toml::to_string(&EmbeddedTarget::default()).unwrap();
        assert_eq!(text.trim(), "");
    }
}

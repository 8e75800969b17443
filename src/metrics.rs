//! Prometheus metrics without a global registry: request counts and latency histograms
//! by method, route template and status, rendered in the text exposition format.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::Mutex,
    time::{Duration, Instant},
};

const BUCKETS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// Records one finished request. `route` is the matched template (`/api/v1/users/{id}`),
    /// never the raw path, and a method not among HTTP's own is `other`, so cardinality
    /// stays bounded whatever clients send.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        const METHODS: [&str; 9] = [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
        ];
        let method = if METHODS.contains(&method) {
            method
        } else {
            "other"
        };
        let secs = elapsed.as_secs_f64();
        let mut map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let map = self
            .series
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP mentorhub_uptime_seconds Seconds since the process started.\n\
             # TYPE mentorhub_uptime_seconds gauge\nmentorhub_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP http_requests_total HTTP requests by method, route and status.\n\
             # TYPE http_requests_total counter"
        );
        for ((m, r, st), s) in &map {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{st}\"}} {}",
                escape(r),
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP http_request_duration_seconds Time to answer, by method, route and status.\n\
             # TYPE http_request_duration_seconds histogram"
        );
        for ((m, r, st), s) in &map {
            let labels = format!("method=\"{m}\",route=\"{}\",status=\"{st}\"", escape(r));
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 http_request_duration_seconds_sum{{{labels}}} {}\n\
                 http_request_duration_seconds_count{{{labels}}} {}",
                s.count, s.sum, s.count
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::new();
        m.record("GET", "/api/v1/me", 200, Duration::from_millis(3));
        m.record("GET", "/api/v1/me", 200, Duration::from_millis(30));
        let text = m.render();
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"} 2"
            )
        );
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }

    #[test]
    fn made_up_methods_share_one_series() {
        let m = Metrics::new();
        for i in 0..100 {
            m.record(&format!("M{i}X"), "/healthz", 405, Duration::from_millis(1));
        }
        let text = m.render();
        assert!(
            text.contains(
                "http_requests_total{method=\"other\",route=\"/healthz\",status=\"405\"} 100"
            ),
            "{text}"
        );
        assert!(!text.contains("M1X"), "{text}");
    }
}

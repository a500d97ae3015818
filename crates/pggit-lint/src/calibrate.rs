//! Learning from outcomes, plainly: every migration pggit applies records
//! whether it failed (an error, a lock wait that hit `lock_timeout`, a
//! rollback) and the findings it had. From those records each rule gets a
//! failure rate: a Beta prior (its severity's rate, worth
//! [`PRIOR_STRENGTH`] migrations) updated by the migrations that had the
//! rule. A migration's predicted chance of failing is the highest rate
//! among its rules, or the rate of migrations without findings.
//!
//! Calibration is measured leave-one-out (each outcome predicted from all
//! the others): the Brier score against always predicting the overall
//! failure rate, and a reliability table. Below [`MIN_OUTCOMES`] records
//! it says so and the priors are what is used. The priors are stated
//! guesses, not measurements.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Severity;

/// Outcomes needed before calibration is reported.
pub const MIN_OUTCOMES: usize = 50;
/// How many migrations a prior is worth.
pub const PRIOR_STRENGTH: f64 = 10.0;
/// Prior failure rate of a migration with no finding.
pub const BASE_PRIOR: f64 = 0.01;

/// Prior failure rate of a migration with a finding of this severity.
pub fn prior(severity: Severity) -> f64 {
    match severity {
        Severity::Low => 0.02,
        Severity::Medium => 0.05,
        Severity::High => 0.10,
        Severity::Critical => 0.25,
    }
}

/// One applied migration, as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The rules of its findings (each once).
    pub rules: Vec<String>,
    pub failed: bool,
}

/// A rule's (or the no-finding baseline's) rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub rule: String,
    pub migrations: usize,
    pub failed: usize,
    pub prior: f64,
    pub rate: f64,
}

impl Rate {
    fn new(rule: &str, prior: f64, migrations: usize, failed: usize) -> Rate {
        Rate {
            rule: rule.to_string(),
            migrations,
            failed,
            prior,
            rate: (failed as f64 + PRIOR_STRENGTH * prior) / (migrations as f64 + PRIOR_STRENGTH),
        }
    }
}

/// The fitted rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Outcomes fitted.
    pub outcomes: usize,
    pub baseline: Rate,
    pub rules: BTreeMap<String, Rate>,
}

/// The prior of a rule id (unknown ids: medium).
fn rule_prior(rule: &str) -> f64 {
    prior(crate::rules::by_id(rule).map_or(Severity::Medium, |r| r.severity))
}

/// Fit the rates from `records`.
pub fn fit<'a>(records: impl IntoIterator<Item = &'a Record>) -> Model {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut base_n, mut base_failed) = (0, 0);
    let mut outcomes = 0;
    for r in records {
        outcomes += 1;
        if r.rules.is_empty() {
            base_n += 1;
            base_failed += usize::from(r.failed);
        }
        for rule in &r.rules {
            let c = counts.entry(rule.clone()).or_default();
            c.0 += 1;
            c.1 += usize::from(r.failed);
        }
    }
    Model {
        outcomes,
        baseline: Rate::new("(no finding)", BASE_PRIOR, base_n, base_failed),
        rules: counts
            .into_iter()
            .map(|(rule, (n, f))| {
                let rate = Rate::new(&rule, rule_prior(&rule), n, f);
                (rule, rate)
            })
            .collect(),
    }
}

impl Model {
    /// The predicted chance that a migration with these rules' findings
    /// fails: the highest rate among them (a rule never seen has its prior).
    pub fn predict(&self, rules: &[String]) -> f64 {
        rules
            .iter()
            .map(|r| {
                self.rules
                    .get(r)
                    .map_or_else(|| rule_prior(r), |rate| rate.rate)
            })
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))))
            .unwrap_or(self.baseline.rate)
    }
}

impl Model {
    /// [`Model::predict`] for `r`'s rules by the model fitted without `r`.
    pub fn predict_without(&self, r: &Record) -> f64 {
        let own = usize::from(r.failed);
        let without = |rate: &Rate| {
            Rate::new(
                &rate.rule,
                rate.prior,
                rate.migrations.saturating_sub(1),
                rate.failed.saturating_sub(own),
            )
            .rate
        };
        if r.rules.is_empty() {
            return without(&self.baseline);
        }
        r.rules
            .iter()
            .map(|rule| {
                self.rules
                    .get(rule)
                    .map_or_else(|| rule_prior(rule), without)
            })
            .fold(0.0, f64::max)
    }
}

/// One bin of the reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub migrations: usize,
    pub mean_predicted: f64,
    pub observed: f64,
}

/// How well the predictions match what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub outcomes: usize,
    pub failed: usize,
    /// At least [`MIN_OUTCOMES`]: the figures below are reported.
    pub enough: bool,
    /// Mean squared error of the leave-one-out predictions.
    pub brier: Option<f64>,
    /// The same for always predicting the overall failure rate.
    pub brier_reference: Option<f64>,
    pub reliability: Vec<Bin>,
    /// The rates now in use (fitted on every outcome).
    pub model: Model,
}

/// Edges of the reliability table's bins.
const BINS: [f64; 7] = [0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0001];

/// Calibration of the model over `records`.
pub fn calibration(records: &[Record]) -> Calibration {
    let n = records.len();
    let failed = records.iter().filter(|r| r.failed).count();
    let model = fit(records);
    if n < MIN_OUTCOMES {
        return Calibration {
            outcomes: n,
            failed,
            enough: false,
            brier: None,
            brier_reference: None,
            reliability: Vec::new(),
            model,
        };
    }
    let y = |r: &Record| if r.failed { 1.0 } else { 0.0 };
    // Each outcome predicted by the model without it: its own counts taken
    // out of the rates it is predicted from (linear in the outcomes).
    let predictions: Vec<f64> = records.iter().map(|r| model.predict_without(r)).collect();
    let brier = records
        .iter()
        .zip(&predictions)
        .map(|(r, p)| (p - y(r)).powi(2))
        .sum::<f64>()
        / n as f64;
    // The reference, leave-one-out too: the failure rate of the others.
    let brier_reference = records
        .iter()
        .map(|r| {
            let rate = (failed as f64 - y(r)) / (n as f64 - 1.0);
            (rate - y(r)).powi(2)
        })
        .sum::<f64>()
        / n as f64;
    let reliability = BINS
        .windows(2)
        .filter_map(|w| {
            let inside: Vec<(f64, f64)> = records
                .iter()
                .zip(&predictions)
                .filter(|(_, p)| **p >= w[0] && **p < w[1])
                .map(|(r, p)| (*p, y(r)))
                .collect();
            (!inside.is_empty()).then(|| {
                let m = inside.len() as f64;
                Bin {
                    from: w[0],
                    to: w[1].min(1.0),
                    migrations: inside.len(),
                    mean_predicted: inside.iter().map(|(p, _)| p).sum::<f64>() / m,
                    observed: inside.iter().map(|(_, y)| y).sum::<f64>() / m,
                }
            })
        })
        .collect();
    Calibration {
        outcomes: n,
        failed,
        enough: true,
        brier: Some(brier),
        brier_reference: Some(brier_reference),
        reliability,
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rules: &[&str], failed: bool) -> Record {
        Record {
            rules: rules.iter().map(|r| r.to_string()).collect(),
            failed,
        }
    }

    #[test]
    fn leave_one_out_equals_fitting_without_it() {
        let records: Vec<Record> = (0..30)
            .map(|i| match i % 3 {
                0 => rec(&["a-rule", "changing-column-type"], i % 2 == 0),
                1 => rec(&[], i % 5 == 0),
                _ => rec(&["changing-column-type"], false),
            })
            .collect();
        let model = fit(&records);
        for (i, r) in records.iter().enumerate() {
            let others = records
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| r);
            let refit = fit(others).predict(&r.rules);
            assert!((model.predict_without(r) - refit).abs() < 1e-12, "{i}");
        }
    }

    #[test]
    fn too_few_outcomes_use_the_priors() {
        let c = calibration(&[rec(&["changing-column-type"], true)]);
        assert!(!c.enough);
        assert!(c.brier.is_none() && c.reliability.is_empty());
        // One failure moves the rate from its prior, by a tenth of the way.
        let r = &c.model.rules["changing-column-type"];
        assert!((r.rate - (1.0 + 10.0 * r.prior) / 11.0).abs() < 1e-12);
        // A rule never seen predicts its prior; no finding, the baseline.
        let high = prior(Severity::High);
        assert!((c.model.predict(&["ban-drop-table".into()]) - high).abs() < 1e-12);
        assert!((c.model.predict(&[]) - BASE_PRIOR).abs() < 1e-12);
    }

    #[test]
    fn a_rule_that_always_fails_is_learned_and_calibration_is_reported() {
        let mut records = Vec::new();
        for i in 0..60 {
            records.push(rec(&["adding-required-field"], i % 10 != 0));
            records.push(rec(&[], i % 30 == 0));
            records.push(rec(&["prefer-text-field"], false));
        }
        let c = calibration(&records);
        assert!(c.enough);
        assert_eq!(c.outcomes, 180);
        let learned = c.model.predict(&["adding-required-field".into()]);
        // 54 failures of 60, with the prior worth 10 at 0.10: 55 / 70.
        assert!((learned - 55.0 / 70.0).abs() < 1e-12, "{learned}");
        assert!(c.model.predict(&["prefer-text-field".into()]) < 0.01);
        // The model beats always predicting the overall rate.
        let (b, r) = (c.brier.unwrap(), c.brier_reference.unwrap());
        assert!(b < r, "{b} {r}");
        assert_eq!(
            c.reliability.iter().map(|b| b.migrations).sum::<usize>(),
            180
        );
        for bin in &c.reliability {
            assert!(bin.mean_predicted >= bin.from && bin.mean_predicted <= bin.to);
        }
    }
}

//! Progress reporting: a workspace build and a migration applied by
//! `reset --hard` report one phase each, whose total is the number of
//! statements and whose advances add up to it (one per statement); `init`
//! and `commit` report reading the catalog, reader by reader.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use pggit::core::progress::Progress;
use pggit::pg::scratch::{test_admin_config, ScratchDb};
use pggit::{CommitOptions, InitOptions, Repository, Signature};

/// Every call, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, u64)>>);

impl Progress for Recorder {
    fn begin(&self, what: &str, total: u64) {
        self.0
            .lock()
            .unwrap()
            .push((format!("begin {what}"), total));
    }
    fn advance(&self, n: u64) {
        self.0.lock().unwrap().push(("advance".into(), n));
    }
    fn end(&self) {
        self.0.lock().unwrap().push(("end".into(), 0));
    }
}

impl Recorder {
    /// The phases seen: (name, total, sum of advances, ended).
    fn phases(&self) -> Vec<(String, u64, u64, bool)> {
        let mut out: Vec<(String, u64, u64, bool)> = Vec::new();
        for (what, n) in self.0.lock().unwrap().iter() {
            match what.as_str() {
                "advance" => out.last_mut().expect("advance inside a phase").2 += n,
                "end" => out.last_mut().expect("end inside a phase").3 = true,
                w => out.push((w.trim_start_matches("begin ").to_string(), *n, 0, false)),
            }
        }
        out
    }

    /// The phases other than reading the catalog, after checking that each
    /// of those ran to its end.
    fn work(&self) -> Vec<(String, u64, u64, bool)> {
        let (reads, work): (Vec<_>, Vec<_>) = self
            .phases()
            .into_iter()
            .partition(|p| p.0 == "reading catalog");
        for (_, total, done, ended) in &reads {
            assert!(*total > 20 && done == total && *ended, "{reads:?}");
        }
        work
    }
}

#[test]
fn workspace_builds_and_resets_report_every_statement() {
    let db = ScratchDb::create(&test_admin_config(), "pggit_progress").expect("create db");
    let mut c = db.connect().unwrap();
    let tables: String = (0..40)
        .map(|i| format!("CREATE TABLE public.t{i} (id int PRIMARY KEY, v text);"))
        .collect();
    c.batch_execute(&tables).unwrap();
    let rec = Recorder::default();
    let (mut repo, _) = Repository::init_with(&db.config, &InitOptions::default(), &rec).unwrap();
    let phases = rec.phases();
    assert_eq!(phases.len(), 1, "{phases:?}");
    assert_eq!(phases[0].0, "reading catalog");
    assert!(rec.work().is_empty());

    let rec = Arc::new(Recorder::default());
    repo.set_progress(rec.clone());
    repo.checkout("feature", Some(None)).unwrap();
    let phases = rec.work();
    assert_eq!(phases.len(), 1, "{phases:?}");
    let (what, total, done, ended) = &phases[0];
    assert_eq!(what, "building workspace");
    // 40 tables and their primary keys at least.
    assert!(*total >= 80, "{total} statements");
    assert_eq!(done, total);
    assert!(ended);

    // Drop ten tables on the branch, commit, and reset back: the reset
    // re-creates them, statement by statement.
    let url = repo
        .branches()
        .unwrap()
        .into_iter()
        .find(|b| b.name == "feature")
        .and_then(|b| b.workspace)
        .unwrap();
    let (wcfg, _) = pggit::pg::connect::resolve(Some(&url), &|_| None).unwrap();
    let drops: String = (0..10)
        .map(|i| format!("DROP TABLE public.t{i};"))
        .collect();
    pggit::pg::connect::connect(&wcfg)
        .unwrap()
        .batch_execute(&drops)
        .unwrap();
    let mut on = Repository::open(&db.config, Some("feature".into())).unwrap();
    let rec = Arc::new(Recorder::default());
    on.set_progress(rec.clone());
    on.commit_workspace(&CommitOptions {
        message: Some("drop ten".into()),
        signature: Signature::default(),
    })
    .unwrap();
    let phases = rec.phases();
    assert_eq!(phases.len(), 1, "{phases:?}");
    assert_eq!(phases[0].0, "reading catalog");
    assert!(rec.work().is_empty());
    let rec = Arc::new(Recorder::default());
    on.set_progress(rec.clone());
    on.reset_hard("HEAD~1", true).unwrap();
    let phases = rec.work();
    assert_eq!(phases.len(), 1, "{phases:?}");
    let (what, total, done, ended) = &phases[0];
    assert_eq!(what, "applying migration");
    assert!(*total >= 20, "{total} statements");
    assert_eq!(done, total);
    assert!(ended);
    drop(on);
    drop(repo);
    db.drop_workspaces();
}

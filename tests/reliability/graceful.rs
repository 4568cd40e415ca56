//! Graceful stop under load: SIGTERM while several clients call at a high
//! rate and a large World Bank refresh is running. Every call the server
//! accepted completes with a whole, correct answer; only calls started after
//! the signal may be refused (UNAVAILABLE or a transport error); the refresh
//! (TriggerRefresh answered RUNNING before the signal) rolls back or commits
//! whole (the file holds the old or the new dataset, the run reads CANCELLED
//! or SUCCEEDED after a restart); the process exits 0 within its grace
//! period.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use tonic::Code;
use tonic::transport::Channel;
use tradepact::grpc::pb;

use crate::common::{self, Outcome, date_text, pick, record};
use crate::crash::{
    BigWorldBank, Moment, PROBE_ECONOMY, WAIT, channel, copy_db, indicator_codes, indicator_series,
    korea_cambodia, reference, release, rng_seed, runs, start_blocking, state_name, trigger,
    try_start_blocking,
};

/// `--shutdown-grace-secs` of the server under test.
const GRACE_SECS: u64 = 10;
/// Client tasks, each on its own connection.
const CLIENTS: usize = 6;
/// Bound on the calls of one client in one trial.
const MAX_CALLS: usize = 200_000;
/// A client stops after this many refusals in a row once the signal went out.
const REFUSALS_TO_STOP: usize = 3;

/// One call as a client saw it.
struct Call {
    started: Instant,
    finished: Instant,
    /// `Ok(None)`: a correct answer; `Ok(Some(why))`: an answer with wrong
    /// content; `Err`: the status.
    outcome: Result<Option<String>, Failure>,
}

/// A call that got no answer.
struct Failure {
    code: Code,
    /// The status's message, with the HTTP/2 error behind it if any.
    message: String,
    /// Refused rather than broken: see [`is_refusal`].
    refused: bool,
}

/// What a correct answer looks like.
struct Expected {
    trade: pb::GetBilateralTradeResponse,
    probe: String,
    vintages: [String; 2],
    years: usize,
}

/// Calls GetBilateralTrade and GetIndicatorSeries in turn until `stop`, a
/// few refusals in a row after the signal, or [`MAX_CALLS`].
async fn client(
    url: String,
    expected: Arc<Expected>,
    stop: Arc<AtomicBool>,
    signalled: Arc<OnceLock<Instant>>,
) -> Vec<Call> {
    let mut calls = Vec::new();
    let Ok(endpoint) = Channel::from_shared(url) else {
        return calls;
    };
    let channel = match tokio::time::timeout(WAIT, endpoint.connect()).await {
        Ok(Ok(channel)) => channel,
        _ => return calls,
    };
    let limit = Duration::from_secs(GRACE_SECS + 5);
    let mut refusals = 0;
    for n in 0..MAX_CALLS {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let answer = if n % 2 == 0 {
            tokio::time::timeout(limit, korea_cambodia(channel.clone()))
                .await
                .map(|r| {
                    r.map(|trade| {
                        (trade != expected.trade)
                            .then(|| "GetBilateralTrade differs from before".to_owned())
                    })
                })
        } else {
            tokio::time::timeout(
                limit,
                indicator_series(channel.clone(), PROBE_ECONOMY, &expected.probe),
            )
            .await
            .map(|r| {
                r.map(|series| {
                    let whole = series.points.len() == expected.years
                        && series.vintages.len() == 1
                        && expected.vintages.contains(&date_text(&series.vintages[0]));
                    (!whole).then(|| {
                        format!(
                            "GetIndicatorSeries: {} points, vintages {:?}",
                            series.points.len(),
                            series.vintages
                        )
                    })
                })
            })
        };
        let outcome = match answer {
            Ok(Ok(wrong)) => Ok(wrong),
            Ok(Err(status)) => Err(Failure {
                code: status.code(),
                message: describe(&status),
                refused: is_refusal(&status),
            }),
            Err(_) => Err(Failure {
                code: Code::DeadlineExceeded,
                message: format!("no answer within {limit:?} (client side)"),
                refused: false,
            }),
        };
        let failed = outcome.is_err();
        calls.push(Call {
            started,
            finished: Instant::now(),
            outcome,
        });
        if failed && signalled.get().is_some() {
            refusals += 1;
            if refusals >= REFUSALS_TO_STOP {
                break;
            }
        } else {
            refusals = 0;
        }
    }
    calls
}

/// The status's message, and the HTTP/2 error behind it if any: tonic
/// reports every h2 error with NO_ERROR as INTERNAL "http2 error", so the
/// message alone cannot tell a refused call from a broken one.
fn describe(status: &tonic::Status) -> String {
    match h2_error(status) {
        Some(h2) => format!("{} [h2: {h2}]", status.message()),
        None => status.message().to_owned(),
    }
}

/// The HTTP/2 error among the status's sources, if any.
fn h2_error(status: &tonic::Status) -> Option<&h2::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(error) = source {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return Some(h2);
        }
        source = error.source();
    }
    None
}

/// Whether a failed call was refused rather than broken: the server never
/// took it. UNAVAILABLE; the client's transport giving up on a connection the
/// server closed (hyper's "operation was canceled" when a request raced the
/// GOAWAY, which tonic reports as CANCELLED); or h2 failing the stream with
/// the server's graceful GOAWAY (remote, NO_ERROR). h2 gives that error only
/// to streams above the GOAWAY's last-stream-id, which the server promises
/// it never processed (RFC 9113 §6.8), and to streams opened after the
/// GOAWAY arrived, which never left the client.
fn is_refusal(status: &tonic::Status) -> bool {
    let message = status.message();
    match status.code() {
        Code::Unavailable => true,
        Code::Unknown => message.contains("transport error"),
        Code::Cancelled => message.contains("operation was canceled"),
        Code::Internal => h2_error(status).is_some_and(|h2| {
            h2.is_go_away() && h2.is_remote() && h2.reason() == Some(h2::Reason::NO_ERROR)
        }),
        _ => false,
    }
}

/// Totals over a trial's calls.
#[derive(Default)]
struct Tally {
    completed: u64,
    /// Started before the signal, answered after it: drained.
    drained: u64,
    refused_after: u64,
    failed: u64,
    wrong: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn sigterm_under_load_drains_calls_and_settles_the_refresh() {
    let started = Instant::now();
    let trials: u64 = pick(3, 12);
    let indicators = indicator_codes(pick(4, 6));
    let seed = rng_seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    println!("graceful: seed {seed} (set RELIABILITY_SEED={seed} to replay)");

    let old = release(&indicators, "2025-01-28", 1);
    let new = release(&indicators, "2025-07-01", 2);
    let vintages = [old.vintage.clone(), new.vintage.clone()];
    let mock = BigWorldBank::start(indicators.clone(), vec![old, new]).await;
    let work = tempfile::tempdir().expect("temp dir");
    let reference = reference(work.path(), &mock).await;
    println!("graceful: {}", reference.summary);
    let mut args = mock.args();
    args.extend(["--shutdown-grace-secs".to_owned(), GRACE_SECS.to_string()]);

    let mut total = Tally::default();
    let mut problems: Vec<String> = Vec::new();
    let mut failed_trials = 0u64;
    let mut lost = 0u64;
    let mut exit_times: Vec<Duration> = Vec::new();
    let mut refusal_kinds = std::collections::BTreeSet::new();
    let (mut cancelled, mut succeeded) = (0u64, 0u64);
    for trial in 0..trials {
        let dir = work.path().join(format!("trial-{trial}"));
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        copy_db(&reference.template, &db);
        mock.serve(1);
        mock.forget_requests();
        let server = start_blocking(&dir, &db, &args);
        let log = server.log.clone();
        let url = server.url();
        let control = channel(&server).await;
        let expected = Arc::new(Expected {
            trade: korea_cambodia(control.clone())
                .await
                .expect("answers before the load"),
            probe: indicators[0].clone(),
            vintages: vintages.clone(),
            years: indicator_series(control.clone(), PROBE_ECONOMY, &indicators[0])
                .await
                .expect("answers before the load")
                .points
                .len(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let signalled: Arc<OnceLock<Instant>> = Arc::default();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                tokio::spawn(client(
                    url.clone(),
                    Arc::clone(&expected),
                    Arc::clone(&stop),
                    Arc::clone(&signalled),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // TriggerRefresh answers at once (RUNNING); the run goes on, and the
        // state it ends in is read back after a restart.
        let pending = tokio::spawn(trigger(control.clone(), "worldbank"));
        let moment = Moment::pick(&mut rng, reference.fetch_span, reference.tail);
        moment.wait(&mock).await;

        // SIGTERM; calls started from just before the signal on may be refused.
        let mut server = server.into_inner();
        let before_signal = Instant::now();
        let _ = signalled.set(before_signal);
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &server.pid().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM could not be sent");
        let deadline = before_signal + Duration::from_secs(GRACE_SECS + 10);
        let status = loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = server.child.kill();
                let _ = server.child.wait();
                break None;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let exit_time = before_signal.elapsed();
        stop.store(true, Ordering::Relaxed);
        let mut calls = Vec::new();
        for task in clients {
            calls.extend(task.await.expect("a client task"));
        }
        let answer = pending.await.expect("the trigger task");

        let mut trial_problems: Vec<String> = Vec::new();
        let mut trial_lost = false;
        match status {
            Some(status) if status.code() == Some(0) => {}
            other => trial_problems.push(format!("exit status {other:?}, expected 0")),
        }
        if exit_time > Duration::from_secs(GRACE_SECS) {
            trial_problems.push(format!(
                "the process took {exit_time:?} to exit, beyond its {GRACE_SECS} s grace period"
            ));
        }
        exit_times.push(exit_time);
        let errors: Vec<String> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(" ERROR "))
            .map(str::to_owned)
            .collect();
        if !errors.is_empty() {
            trial_problems.push(format!(
                "the server logged errors while stopping: {}",
                errors.join(" | ")
            ));
        }

        let mut tally = Tally::default();
        let mut samples: Vec<String> = Vec::new();
        for call in &calls {
            match &call.outcome {
                Ok(None) => {
                    tally.completed += 1;
                    if call.started < before_signal && call.finished >= before_signal {
                        tally.drained += 1;
                    }
                }
                Ok(Some(wrong)) => {
                    tally.wrong += 1;
                    if samples.len() < 5 {
                        samples.push(wrong.clone());
                    }
                }
                Err(Failure {
                    code,
                    message,
                    refused,
                }) => {
                    if *refused && call.started >= before_signal {
                        tally.refused_after += 1;
                        refusal_kinds.insert(format!("{code:?}: {message}"));
                    } else {
                        tally.failed += 1;
                        if samples.len() < 5 {
                            let when = if call.started >= before_signal {
                                format!("{:?} after", call.started - before_signal)
                            } else {
                                format!("{:?} before", before_signal - call.started)
                            };
                            samples.push(format!("started {when} the signal: {code:?} {message}"));
                        }
                    }
                }
            }
        }
        if tally.failed > 0 {
            trial_problems.push(format!(
                "{} call(s) failed that had to complete, e.g. {}",
                tally.failed,
                samples.join(" | ")
            ));
        }
        if tally.wrong > 0 {
            trial_problems.push(format!(
                "{} answer(s) with wrong content, e.g. {}",
                tally.wrong,
                samples.join(" | ")
            ));
            trial_lost = true;
        }
        if tally.completed == 0 {
            trial_problems.push("no call completed: the load never ran".into());
        }

        // The refresh: whole or nothing, and its call answered.
        let integrity = common::integrity(&db);
        if integrity != "ok" {
            trial_problems.push(format!("integrity_check: {integrity}"));
            trial_lost = true;
        }
        let hash = common::content_hash(&db);
        let is_new = hash == reference.new_hash;
        if !is_new && hash != reference.old_hash {
            trial_problems.push("the dataset is neither the old nor the new one".into());
            trial_lost = true;
        }
        let expected_state = if is_new {
            pb::RunState::Succeeded
        } else {
            pb::RunState::Cancelled
        };
        match &answer {
            Ok(run) if run.state == pb::RunState::Running as i32 => {}
            Ok(run) => trial_problems.push(format!(
                "TriggerRefresh answered {}, not RUNNING: {run:?}",
                state_name(run.state)
            )),
            Err(status) => trial_problems.push(format!(
                "TriggerRefresh, accepted before the signal, failed: {status:?}"
            )),
        }
        let triggered = answer.as_ref().ok().map(|run| run.id);
        if is_new {
            succeeded += 1;
        } else {
            cancelled += 1;
        }
        match try_start_blocking(&dir, &db, &args) {
            Ok(server) => {
                match runs(channel(&server).await, "worldbank").await {
                    Ok(list) => match list.first() {
                        Some(run)
                            if run.id > reference.template_run
                                && triggered.is_none_or(|id| id == run.id)
                                && run.state == expected_state as i32 => {}
                        other => trial_problems.push(format!(
                            "after a restart the triggered run {triggered:?} should read {} (file holds the {} data) but the newest run is {:?}",
                            expected_state.as_str_name(),
                            if is_new { "new" } else { "old" },
                            other.map(|r| (r.id, state_name(r.state), r.error.clone()))
                        )),
                    },
                    Err(status) => {
                        trial_problems.push(format!("ListRefreshRuns after restart: {status:?}"));
                    }
                }
                let _ = server.terminate(WAIT);
            }
            Err(error) => trial_problems.push(format!("the server did not restart: {error}")),
        }

        println!(
            "graceful: trial {trial}: SIGTERM {moment}: exit {:?} in {} ms; calls completed {} (drained {}), refused after the signal {}, failed {}, wrong {}; run {}; {}",
            status.and_then(|s| s.code()),
            exit_time.as_millis(),
            tally.completed,
            tally.drained,
            tally.refused_after,
            tally.failed,
            tally.wrong,
            expected_state.as_str_name(),
            if trial_problems.is_empty() {
                "ok".to_owned()
            } else {
                trial_problems.join("; ")
            }
        );
        total.completed += tally.completed;
        total.drained += tally.drained;
        total.refused_after += tally.refused_after;
        total.failed += tally.failed;
        total.wrong += tally.wrong;
        if !trial_problems.is_empty() {
            failed_trials += 1;
            problems.push(format!(
                "trial {trial} (SIGTERM {moment}): {}\n{}",
                trial_problems.join("; "),
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        lost += u64::from(trial_lost);
        let _ = std::fs::remove_dir_all(&dir);
    }

    let refusals_seen = refusal_kinds.into_iter().collect::<Vec<_>>().join(", ");
    println!("graceful: refusals seen: {refusals_seen}");
    let slowest = exit_times.iter().max().copied().unwrap_or_default();
    let mean =
        exit_times.iter().sum::<Duration>() / u32::try_from(exit_times.len().max(1)).unwrap_or(1);
    record(&Outcome {
        scenario: "graceful: SIGTERM under load during refresh",
        trials,
        failures: failed_trials,
        data_lost: lost,
        figures: format!(
            "seed {seed}; {CLIENTS} clients; calls completed {} (drained across the signal {}), refused after the signal {} ({refusals_seen}), failed {}, wrong {}; runs cancelled/succeeded {cancelled}/{succeeded}; exit after SIGTERM mean {} ms, max {} ms (grace {GRACE_SECS} s); {:.1} s",
            total.completed,
            total.drained,
            total.refused_after,
            total.failed,
            total.wrong,
            mean.as_millis(),
            slowest.as_millis(),
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

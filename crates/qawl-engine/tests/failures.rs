//! Overload, withdrawn callers, deadlines, model errors and panics, and shutdown: each is an
//! answer to the caller, never a hang.

mod support;

use std::time::Duration;

use qawl_engine::{Engine, EngineError};
use support::{config, ids, sum, SummingModel, HANG_GUARD};
use tokio::time::{timeout, Instant};

#[tokio::test]
async fn a_full_queue_answers_overloaded_at_once() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 3)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let queued = engine
        .submit(vec![ids(2, 2), ids(3, 2)], None)
        .expect("admitted");
    assert_eq!(engine.queue_depth(), 3);

    // `submit` is synchronous: the refusal comes back while the model is still held.
    let refused = engine.submit(vec![ids(4, 2)], None);
    assert!(
        matches!(refused, Err(EngineError::Overloaded { capacity: 3, .. })),
        "{refused:?}"
    );

    probe.open_gate();
    blocker.wait().await.expect("answered");
    queued.wait().await.expect("answered");
    assert_eq!(engine.queue_depth(), 0, "answered inputs free their places");

    // A submission larger than the whole queue waits for an empty queue, not forever.
    let article: Vec<_> = (0..5).map(|i| ids(10 + i, 3)).collect();
    let expected: Vec<u64> = article.iter().map(|s| sum(s)).collect();
    let completion = timeout(HANG_GUARD, engine.run(article, None))
        .await
        .expect("no hang")
        .expect("admitted into the empty queue");
    assert_eq!(completion.outputs, expected);
}

#[tokio::test]
async fn inputs_of_callers_who_went_away_are_not_run() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;

    let withdrawn = engine
        .submit(vec![ids(2, 5), ids(2, 6)], None)
        .expect("admitted");
    assert_eq!(engine.queue_depth(), 3);
    drop(withdrawn);
    assert_eq!(
        engine.queue_depth(),
        1,
        "withdrawn inputs free their places"
    );
    let kept = engine.submit(vec![ids(3, 5)], None).expect("admitted");

    probe.open_gate();
    blocker.wait().await.expect("answered");
    let completion = timeout(HANG_GUARD, kept.wait())
        .await
        .expect("no hang")
        .expect("answered");
    assert_eq!(completion.outputs, vec![15]);
    assert!(!probe.ran(2), "the withdrawn caller's inputs ran");
}

#[tokio::test]
async fn a_deadline_already_past_is_refused_at_admission() {
    let (model, probe) = SummingModel::open();
    let engine = Engine::start(model, config(64, 4, 16)).expect("engine starts");
    let refused = engine.submit(vec![ids(2, 3)], Some(Instant::now()));
    assert!(
        matches!(refused, Err(EngineError::DeadlineExceeded { .. })),
        "{refused:?}"
    );
    assert_eq!(engine.queue_depth(), 0);
    assert!(!probe.ran(2));
}

#[tokio::test]
async fn a_waiting_caller_gets_deadline_exceeded_while_the_model_is_busy() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;

    let deadline = Instant::now() + Duration::from_millis(50);
    let late = engine
        .submit(vec![ids(2, 3)], Some(deadline))
        .expect("admitted");
    // The model is still held at the gate: the answer cannot come from a finished batch.
    let answer = timeout(HANG_GUARD, late.wait()).await.expect("no hang");
    assert!(
        matches!(answer, Err(EngineError::DeadlineExceeded { .. })),
        "{answer:?}"
    );

    probe.open_gate();
    blocker.wait().await.expect("answered");
    engine.run(vec![ids(3, 3)], None).await.expect("answered");
    assert!(!probe.ran(2), "the expired input ran");
}

#[tokio::test]
async fn the_worker_drops_expired_inputs_even_if_the_caller_still_waits() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;

    let deadline = Instant::now() + Duration::from_millis(30);
    // Still held, not awaited: only the worker can notice the deadline.
    let late = engine
        .submit(vec![ids(2, 3)], Some(deadline))
        .expect("admitted");
    tokio::time::sleep_until(deadline).await;
    probe.open_gate();
    blocker.wait().await.expect("answered");
    engine.run(vec![ids(3, 3)], None).await.expect("answered");

    assert!(!probe.ran(2), "the expired input ran");
    let answer = late.wait().await;
    assert!(
        matches!(answer, Err(EngineError::DeadlineExceeded { .. })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_model_error_reaches_every_caller_of_the_batch_and_the_engine_goes_on() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model.failing_on(9), config(64, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let failing = engine.submit(vec![ids(9, 4)], None).expect("admitted");
    let neighbour = engine.submit(vec![ids(5, 4)], None).expect("admitted");
    probe.open_gate();
    blocker.wait().await.expect("answered");

    for pending in [failing, neighbour] {
        let answer = timeout(HANG_GUARD, pending.wait()).await.expect("no hang");
        match answer {
            Err(EngineError::Model { source, .. }) => {
                assert_eq!(source.to_string(), "the test model refuses id 9");
            }
            other => panic!("expected the model's error, got {other:?}"),
        }
    }
    let later = engine.run(vec![ids(5, 4)], None).await.expect("answered");
    assert_eq!(later.outputs, vec![20]);
}

#[tokio::test]
async fn a_model_answering_too_few_outputs_is_an_error_not_a_misdelivery() {
    let (model, _probe) = SummingModel::open();
    let engine = Engine::start(model.answering_one_short(), config(64, 4, 16)).expect("starts");
    let answer = timeout(HANG_GUARD, engine.run(vec![ids(2, 3), ids(3, 3)], None))
        .await
        .expect("no hang");
    assert!(
        matches!(
            answer,
            Err(EngineError::OutputCount {
                expected: 2,
                got: 1,
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_model_panic_answers_unavailable_to_everyone_and_nobody_hangs() {
    let (model, mut probe) = SummingModel::gated();
    // Budget 40: the 30-token input and the 2-token one cannot share a batch.
    let engine = Engine::start(model.panicking_on(7), config(40, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let panicking = engine.submit(vec![ids(7, 30)], None).expect("admitted");
    let queued_behind = engine.submit(vec![ids(3, 2)], None).expect("admitted");
    probe.open_gate();
    blocker.wait().await.expect("answered");

    for pending in [panicking, queued_behind] {
        let answer = timeout(HANG_GUARD, pending.wait()).await.expect("no hang");
        assert!(
            matches!(answer, Err(EngineError::Unavailable { .. })),
            "{answer:?}"
        );
    }
    assert!(!probe.ran(3), "the model ran after panicking");
    assert!(!engine.is_running());
    let refused = engine.submit(vec![ids(4, 2)], None);
    assert!(
        matches!(refused, Err(EngineError::Unavailable { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn shutdown_finishes_queued_work_then_returns() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 2, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let mut callers = Vec::new();
    for tag in 2..8u32 {
        let pending = engine.submit(vec![ids(tag, 3)], None).expect("admitted");
        callers.push(tokio::spawn(pending.wait()));
    }

    let shutdown = tokio::spawn(engine.shutdown());
    // The model is held at the gate, so shutdown cannot have finished; give it the chance.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        !shutdown.is_finished(),
        "shutdown returned with work queued"
    );

    probe.open_gate();
    timeout(HANG_GUARD, shutdown)
        .await
        .expect("shutdown returns once drained")
        .expect("shutdown task");
    assert!(probe.model_dropped(), "the worker released the model");
    blocker.wait().await.expect("answered");
    for (tag, caller) in (2..8u32).zip(callers) {
        let completion = caller.await.expect("caller task").expect("answered");
        assert_eq!(completion.outputs, vec![u64::from(tag) * 3]);
    }
}

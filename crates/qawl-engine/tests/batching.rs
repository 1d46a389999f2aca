//! The engine packs inputs into budgeted, length-sorted batches and gets every output back
//! to the caller that asked, in order.

mod support;

use std::time::Duration;

use qawl_engine::Engine;
use support::{config, ids, sum, SummingModel, HANG_GUARD};
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_gets_its_own_outputs_in_order() {
    let (model, _probe) = SummingModel::open();
    let engine = Engine::start(model, config(64, 4, 1024)).expect("engine starts");

    let mut callers = Vec::new();
    for caller in 0..24u32 {
        let inputs: Vec<_> = (0..(caller % 6 + 1))
            .map(|i| {
                ids(
                    caller * 100 + i + 1,
                    ((caller * 7 + i * 3) % 13 + 1) as usize,
                )
            })
            .collect();
        let engine = engine.clone();
        callers.push(tokio::spawn(async move {
            let expected: Vec<u64> = inputs.iter().map(|input| sum(input)).collect();
            let completion = engine.run(inputs, None).await.expect("answered");
            assert_eq!(completion.outputs, expected, "caller {caller}");
        }));
    }
    for caller in callers {
        timeout(HANG_GUARD, caller)
            .await
            .expect("no hang")
            .expect("caller task");
    }
}

#[tokio::test]
async fn a_long_article_is_split_across_batches_and_reassembled_in_order() {
    let (model, probe) = SummingModel::open();
    let engine = Engine::start(model, config(1024, 4, 1024)).expect("engine starts");
    // 50 sentences of varied length: sorting reorders them inside the engine.
    let sentences: Vec<_> = (0..50u32)
        .map(|i| ids(i + 1, (i as usize * 11) % 17 + 1))
        .collect();
    let expected: Vec<u64> = sentences.iter().map(|s| sum(s)).collect();

    let completion = timeout(HANG_GUARD, engine.run(sentences, None))
        .await
        .expect("no hang")
        .expect("answered");

    assert_eq!(completion.outputs, expected);
    assert!(
        probe.batches().len() >= 13,
        "50 inputs, at most 4 per batch"
    );
}

#[tokio::test]
async fn batches_stay_within_the_padded_token_budget() {
    let (budget, max_size) = (48, 6);
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(budget, max_size, 1024)).expect("engine starts");

    // Hold the model on a first batch so everything else queues up together.
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let mut pending = Vec::new();
    for caller in 0..12u32 {
        let inputs: Vec<_> = (0..5u32)
            .map(|i| ids(10 + caller * 5 + i, ((caller + i * 5) % 20 + 1) as usize))
            .collect();
        pending.push(engine.submit(inputs, None).expect("admitted"));
    }
    let oversized = engine
        .submit(vec![ids(999, budget + 10)], None)
        .expect("admitted");
    probe.open_gate();

    for p in pending {
        timeout(HANG_GUARD, p.wait())
            .await
            .expect("no hang")
            .expect("answered");
    }
    let long = timeout(HANG_GUARD, oversized.wait())
        .await
        .expect("no hang")
        .expect("an input over the budget still runs");
    assert_eq!(long.outputs, vec![999 * (budget as u64 + 10)]);
    blocker.wait().await.expect("answered");

    for batch in probe.batches() {
        let longest = batch.iter().map(Vec::len).max().unwrap_or(0);
        assert!(
            batch.len() <= max_size,
            "{} inputs in one batch",
            batch.len()
        );
        if batch.iter().any(|input| input.contains(&999)) {
            assert_eq!(batch.len(), 1, "the oversized input runs alone");
        } else {
            assert!(
                longest * batch.len() <= budget,
                "{} inputs padded to {longest} tokens exceed the budget",
                batch.len()
            );
        }
    }
}

#[tokio::test]
async fn sorting_by_length_keeps_short_sentences_out_of_long_batches() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(128, 8, 1024)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;

    // Short and long sentences arrive interleaved, as in an article with long quotes.
    let mut pending = Vec::new();
    for i in 0..32u32 {
        let len = if i % 2 == 0 { 4 } else { 32 };
        pending.push(
            engine
                .submit(vec![ids(100 + i, len)], None)
                .expect("admitted"),
        );
    }
    probe.open_gate();
    for p in pending {
        timeout(HANG_GUARD, p.wait())
            .await
            .expect("no hang")
            .expect("answered");
    }
    blocker.wait().await.expect("answered");

    let batches = probe.batches();
    for batch in &batches[1..] {
        let lengths: Vec<usize> = batch.iter().map(Vec::len).collect();
        assert!(
            lengths.iter().all(|len| *len == lengths[0]),
            "a batch mixes lengths {lengths:?}, padding the short ones"
        );
    }
    let padded: usize = batches[1..]
        .iter()
        .map(|b| b.len() * b.iter().map(Vec::len).max().unwrap_or(0))
        .sum();
    assert_eq!(padded, 16 * 4 + 16 * 32, "no token is padding");
}

#[tokio::test]
async fn an_empty_submission_is_answered_without_the_model() {
    let (model, probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 8)).expect("engine starts");
    let completion = timeout(HANG_GUARD, engine.run(Vec::new(), None))
        .await
        .expect("no hang even with the model held")
        .expect("answered");
    assert!(completion.outputs.is_empty());
    assert!(probe.batches().is_empty());
}

#[tokio::test]
async fn timings_show_time_queued_and_time_in_the_model() {
    let (model, mut probe) = SummingModel::gated();
    let engine = Engine::start(model, config(64, 4, 16)).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let queued = engine.submit(vec![ids(2, 3)], None).expect("admitted");
    // Both are held for at least this long: the blocker inside the model, the other queued.
    let held = Duration::from_millis(30);
    tokio::time::sleep(held).await;
    probe.open_gate();

    let blocker = blocker.wait().await.expect("answered");
    let queued = queued.wait().await.expect("answered");
    assert!(blocker.inference_time >= held, "{blocker:?}");
    assert!(queued.queue_time >= held, "{queued:?}");
}

//! Queue depth and batch shapes reach the metrics recorder. Alone in its own test binary
//! because the recorder is process-wide.

mod support;

use std::collections::HashMap;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use qawl_engine::Engine;
use support::{config, ids, SummingModel};

/// Every metric recorded under `model="metrics"` since the last reading, by name. A reading
/// resets gauges, counters and histograms, so each phase of a test takes exactly one.
fn reading(snapshotter: &Snapshotter) -> HashMap<String, DebugValue> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, ..)| {
            key.key()
                .labels()
                .any(|label| label.key() == "model" && label.value() == "metrics")
        })
        .map(|(key, _, _, value)| (key.key().name().to_string(), value))
        .collect()
}

fn gauge(reading: &mut HashMap<String, DebugValue>, name: &str) -> f64 {
    match reading.remove(name) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("expected a gauge, got {other:?}"),
    }
}

fn histogram(reading: &mut HashMap<String, DebugValue>, name: &str) -> Vec<f64> {
    match reading.remove(name) {
        Some(DebugValue::Histogram(values)) => values.into_iter().map(|v| v.into_inner()).collect(),
        other => panic!("expected a histogram, got {other:?}"),
    }
}

#[tokio::test]
async fn queue_depth_and_batch_shapes_are_recorded() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder in this binary");

    let (model, mut probe) = SummingModel::gated();
    let mut settings = config(64, 8, 16);
    settings.name = "metrics".to_string();
    let engine = Engine::start(model, settings).expect("engine starts");
    let blocker = engine.submit(vec![ids(1, 2)], None).expect("admitted");
    probe.batch_started().await;
    let queued = engine
        .submit(vec![ids(2, 3), ids(3, 5), ids(4, 4)], None)
        .expect("admitted");

    let mut held = reading(&snapshotter);
    let depth = gauge(&mut held, "qawl_queue_depth");
    assert_eq!(depth, 4.0, "one input running and three waiting");
    assert_eq!(depth as usize, engine.queue_depth());
    assert_eq!(histogram(&mut held, "qawl_batch_size"), vec![1.0]);
    assert_eq!(histogram(&mut held, "qawl_batch_tokens"), vec![2.0]);

    probe.open_gate();
    blocker.wait().await.expect("answered");
    queued.wait().await.expect("answered");

    // The reading above reset the gauge, so this one is the change since: all four gone.
    let mut drained = reading(&snapshotter);
    assert_eq!(gauge(&mut drained, "qawl_queue_depth"), -4.0);
    assert_eq!(histogram(&mut drained, "qawl_batch_size"), vec![3.0]);
    assert_eq!(
        histogram(&mut drained, "qawl_batch_tokens"),
        vec![15.0],
        "three inputs padded to the longest, 5 tokens"
    );
}

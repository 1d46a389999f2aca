//! The gRPC surface, in-process on 127.0.0.1:0: health, reflection, validation, missing stages,
//! streaming, gRPC-web, metrics and graceful shutdown.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::stages::{simple_pipeline, GatedScorer};
use common::{http1, TestServer};
use futures::StreamExt;
use qawl::limits::Limits;
use qawl::pipeline_factory::rule_pipeline;
use qawl::proto::v1 as pb;
use qawl_core::Pipeline;
use tokio::sync::Semaphore;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_types::StatusExt;

fn article(text: &str) -> pb::ExtractRequest {
    pb::ExtractRequest {
        text: text.into(),
        ..Default::default()
    }
}

fn target(id: &str, proposition: &str) -> pb::Target {
    pb::Target {
        id: id.into(),
        proposition: proposition.into(),
    }
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_qawl() {
    let server = TestServer::start(Pipeline::default(), Limits::default()).await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "qawl.v1.Qawl"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health check")
            .into_inner();
        assert_eq!(
            response.status(),
            ServingStatus::Serving,
            "service {service:?}"
        );
    }
}

#[tokio::test]
async fn reflection_lists_qawl_and_health_without_any_proto_file() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let server = TestServer::start(Pipeline::default(), Limits::default()).await;
    let mut client = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!(
            "expected a service list, got {:?}",
            response.message_response
        );
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"qawl.v1.Qawl"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
}

#[tokio::test]
async fn every_bad_request_is_invalid_argument_naming_its_field_and_serving_goes_on() {
    let limits = Limits {
        max_article_bytes: 1000,
        max_targets: 2,
        ..Limits::default()
    };
    let server = TestServer::start(rule_pipeline(), limits).await;
    let mut client = server.client().await;

    let with_targets = |targets| pb::ExtractRequest {
        targets,
        ..article("Le ministre a déclaré que les négociations continuent.")
    };
    let cases = [
        ("empty text", article(""), "text"),
        ("text over the limit", article(&"x".repeat(1001)), "text"),
        (
            "too many targets",
            with_targets(vec![target("a", "p"), target("b", "q"), target("c", "r")]),
            "targets",
        ),
        (
            "duplicate target ids",
            with_targets(vec![target("a", "p"), target("a", "q")]),
            "targets[1].id",
        ),
        (
            "empty proposition",
            with_targets(vec![target("a", " ")]),
            "targets[0].proposition",
        ),
        (
            "unknown language",
            pb::ExtractRequest {
                language: "xx".into(),
                ..article("text")
            },
            "language",
        ),
    ];
    for (name, request, field) in cases {
        let status = client.extract(request).await.expect_err(name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert!(
            status.message().starts_with(field),
            "{name}: {}",
            status.message()
        );
        let details = status.get_error_details();
        let violation = &details
            .bad_request()
            .expect("BadRequest detail")
            .field_violations[0];
        assert_eq!(violation.field, field, "{name}");
    }

    // Still serving: a valid request succeeds after all the refusals.
    let response = client
        .extract(article(
            "Le ministre a déclaré que les négociations continuent.",
        ))
        .await
        .expect("valid request")
        .into_inner();
    assert_eq!(response.language, "fr");
    assert_eq!(response.claims.len(), 1);
}

#[tokio::test]
async fn missing_stages_answer_unimplemented_and_never_invent_results() {
    let server = TestServer::start(Pipeline::default(), Limits::default()).await;
    let mut client = server.client().await;
    let status = client
        .extract(pb::ExtractRequest {
            language: "en".into(),
            ..article("Officials said the talks would resume.")
        })
        .await
        .expect_err("no segmenter");
    assert_eq!(status.code(), Code::Unimplemented);
    assert!(status.message().contains("segment"), "{}", status.message());

    let status = client
        .classify_stance(pb::ClassifyStanceRequest {
            pairs: vec![pb::StancePair {
                id: "1".into(),
                premise: "Iran refused to halt enrichment.".into(),
                proposition: "Iran agrees to stop enriching uranium.".into(),
            }],
        })
        .await
        .expect_err("no stance model");
    assert_eq!(status.code(), Code::Unimplemented);

    // Targets need the stance stage, even when the rule stages exist.
    let server = TestServer::start(simple_pipeline(), Limits::default()).await;
    let status = server
        .client()
        .await
        .extract(pb::ExtractRequest {
            language: "en".into(),
            targets: vec![target("halt", "Iran agrees to stop enriching uranium.")],
            ..article("Officials said the talks would resume.")
        })
        .await
        .expect_err("no stance model");
    assert_eq!(status.code(), Code::Unimplemented);
    assert!(status.message().contains("stance"), "{}", status.message());
}

#[tokio::test]
async fn info_reports_languages_limits_and_stages() {
    let limits = Limits {
        max_article_bytes: 12345,
        ..Limits::default()
    };
    let server = TestServer::start(simple_pipeline(), limits).await;
    let info = server
        .client()
        .await
        .info(pb::InfoRequest {})
        .await
        .expect("info")
        .into_inner();
    assert_eq!(info.languages.len(), 10);
    assert!(info.languages.contains(&"ar".to_string()));
    assert_eq!(info.limits.expect("limits").max_article_bytes, 12345);
    assert_eq!(info.stages, vec!["segment", "attribute"]);
}

#[tokio::test]
async fn extract_stream_echoes_ids_and_reports_bad_items_without_ending() {
    let server = TestServer::start(simple_pipeline(), Limits::default()).await;
    let requests = vec![
        pb::ExtractRequest {
            request_id: "a".into(),
            language: "en".into(),
            ..article("The minister said talks continue.")
        },
        pb::ExtractRequest {
            request_id: "b".into(),
            ..article("")
        },
        pb::ExtractRequest {
            language: "en".into(),
            ..article("No id here.")
        },
        pb::ExtractRequest {
            request_id: "d".into(),
            language: "fr".into(),
            ..article("Le porte-parole a déclaré que rien n'est décidé.")
        },
    ];
    let mut responses = server
        .client()
        .await
        .extract_stream(futures::stream::iter(requests))
        .await
        .expect("stream")
        .into_inner();
    let mut outcomes = std::collections::BTreeMap::new();
    while let Some(item) = responses.next().await {
        let item = item.expect("stream item");
        outcomes.insert(item.request_id.clone(), item.outcome.expect("outcome"));
    }
    use pb::extract_stream_response::Outcome;
    assert_eq!(outcomes.len(), 4);
    assert!(
        matches!(&outcomes["a"], Outcome::Response(r) if r.request_id == "a" && r.claims.len() == 1)
    );
    assert!(matches!(&outcomes["d"], Outcome::Response(r) if r.language == "fr"));
    assert!(
        matches!(&outcomes["b"], Outcome::Error(e) if e.field == "text" && e.code == Code::InvalidArgument as i32)
    );
    assert!(matches!(&outcomes[""], Outcome::Error(e) if e.field == "request_id"));
}

#[tokio::test]
async fn grpc_web_requests_from_browsers_are_served_over_http1() {
    let server = TestServer::start(Pipeline::default(), Limits::default()).await;
    // An empty InfoRequest in a gRPC frame: flag 0, length 0.
    let head = format!(
        "POST /qawl.v1.Qawl/Info HTTP/1.1\r\nHost: {}\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nOrigin: http://editor.example\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let response = http1(server.addr, &head, &[0, 0, 0, 0, 0]).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/grpc-web+proto"),
        "{text}"
    );
    assert!(text.contains("grpc-status:0"), "{text}");
    assert!(text.contains("ar"), "languages in the body: {text}");
}

#[tokio::test]
async fn metrics_endpoint_counts_requests_by_method_and_code() {
    let server = TestServer::start(simple_pipeline(), Limits::default()).await;
    let mut client = server.client().await;
    let _ = client.extract(article("")).await;
    let head = format!(
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.metrics_addr
    );
    let response =
        String::from_utf8_lossy(&http1(server.metrics_addr, &head, &[]).await).into_owned();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("qawl_requests_total{method=\"Extract\",code=\"InvalidArgument\"}"),
        "{response}"
    );
    assert!(
        response.contains("qawl_request_duration_seconds_bucket"),
        "{response}"
    );
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let gate = Arc::new(Semaphore::new(0));
    let arrived = Arc::new(Semaphore::new(0));
    let pipeline = Pipeline {
        claim_scorer: Some(Arc::new(GatedScorer {
            gate: gate.clone(),
            arrived: arrived.clone(),
        })),
        ..simple_pipeline()
    };
    let mut server = TestServer::start(pipeline, Limits::default()).await;
    let mut client = server.client().await;
    let in_flight = tokio::spawn(async move {
        client
            .extract(pb::ExtractRequest {
                language: "en".into(),
                ..article("The spokesman said the talks ended.")
            })
            .await
    });
    // Wait until the request is inside the pipeline, then ask the server to stop.
    let _ = arrived.acquire().await.expect("arrived");
    server.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !server.task.is_finished(),
        "server must wait for the in-flight request"
    );
    gate.add_permits(1);

    let response = in_flight
        .await
        .expect("join")
        .expect("in-flight request completes");
    assert_eq!(response.into_inner().claims[0].claim_score, Some(0.5));
    tokio::time::timeout(Duration::from_secs(10), &mut server.task)
        .await
        .expect("server stops after draining")
        .expect("join")
        .expect("clean stop");
}

//! `serve(listener, state, shutdown)`: mounts every service with health and reflection, and on
//! shutdown marks health NOT_SERVING, stops admitting calls, lets live calls drain (bounded by
//! `drain_secs`), commits the event log's queue, then stops. Message sizes are capped per
//! service and idle connections are probed with HTTP/2 and TCP keepalive (`--keepalive-secs`).

use std::time::Duration;

use callassist_proto::v1::call_assist_server::CallAssistServer;
use callassist_proto::v1::events_server::EventsServer;
use callassist_proto::v1::knowledge_server::KnowledgeServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use crate::services::{call::CallService, events::EventsService, knowledge::KnowledgeService};
use crate::state::AppState;

/// Largest Knowledge message decoded (an UploadPack chunk; the SDK sends 256 KiB).
const MAX_KNOWLEDGE_MESSAGE: usize = 4 * 1024 * 1024;

/// Serves until `shutdown` resolves and live calls have drained.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<CallAssistServer<CallService>>().await;
    health
        .set_serving::<KnowledgeServer<KnowledgeService>>()
        .await;
    health.set_serving::<EventsServer<EventsService>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(callassist_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;

    let addr = listener.local_addr()?;
    let tls = crate::tls::server_tls(&state.cfg)?;
    let transport = match (&tls, &state.cfg.tls_client_ca) {
        (None, _) => "plaintext (TLS off)",
        (Some(_), None) => "TLS",
        (Some(_), Some(_)) => "mutual TLS (client certificates required)",
    };
    tracing::info!(%addr, tls = tls.is_some(), "callassist listening, {transport}");
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let drain_state = state.clone();
    let drain = Duration::from_secs(state.cfg.drain_secs);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: not serving, draining calls");
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        health
            .set_not_serving::<CallAssistServer<CallService>>()
            .await;
        drain_state.start_draining();
        let deadline = tokio::time::Instant::now() + drain;
        while drain_state.active_calls() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = stopped_tx.send(());
    };

    let guard = crate::auth::interceptor(state.auth.clone());
    let keepalive = match state.cfg.keepalive_secs {
        0 => None,
        secs => Some(Duration::from_secs(secs)),
    };
    let mut builder = tonic::transport::Server::builder()
        .http2_keepalive_interval(keepalive)
        .http2_keepalive_timeout(keepalive);
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    let router = builder
        .add_service(health_service)
        .add_service(reflection)
        .add_service(InterceptedService::new(
            CallAssistServer::new(CallService::new(state.clone()))
                .max_decoding_message_size(crate::call::limits::max_call_message(&state.cfg)),
            guard.clone(),
        ))
        .add_service(InterceptedService::new(
            KnowledgeServer::new(KnowledgeService::new(state.knowledge.clone()))
                .max_decoding_message_size(MAX_KNOWLEDGE_MESSAGE),
            guard.clone(),
        ))
        .add_service(InterceptedService::new(
            EventsServer::new(
                EventsService::new(state.event_log.clone())
                    .with_shutdown(state.shutting_down())
                    .with_adoption(state.adoption.clone()),
            ),
            guard,
        ));
    // tcp_keepalive on the builder only reaches listeners tonic binds itself, so set it here.
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(keepalive);
    let server = router.serve_with_incoming_shutdown(incoming, signal);
    tokio::select! {
        r = server => r?,
        // Connections that outlive the drain window are cut.
        _ = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        } => tracing::warn!(active = state.active_calls(), "drain window over; closing"),
    }
    // Calls append their events without waiting: commit what is queued before returning, so
    // a clean shutdown keeps every event the calls produced.
    if let Some(log) = &state.event_log
        && let Err(e) = log.flush().await
    {
        tracing::error!(error = %e, "event log: events lost at shutdown");
    }
    tracing::info!("server stopped");
    Ok(())
}

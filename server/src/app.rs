//! Start-up and shutdown: open the store, start the writer (and, with Redis, the cluster tasks)
//! and the retention sweep, serve HTTP until SIGTERM/SIGINT, then close every connection (1001),
//! flush every room and stop the writer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::cluster;
use crate::config::Config;
use crate::http::{self, Shared};
use crate::room::{Nodes, Rooms, Writer};
use crate::spool::Spool;
use crate::store::{embedded::EmbeddedStore, redis::RedisStore, Store};
use kortvaeg_shared::Templates;

/// Jobs the store writer may have queued before clients are told the server is busy.
const WRITER_QUEUE: usize = 65_536;

/// How long shutdown waits for the store to take everything (e.g. Redis back from an outage).
const FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// How long shutdown waits for open connections to close before flushing anyway.
const CONNECTION_DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Templates(#[from] kortvaeg_shared::TemplateError),
    #[error("{0}")]
    Trees(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Spool(#[from] crate::spool::SpoolError),
    #[error(transparent)]
    CreatorKeys(#[from] crate::creators::KeysError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
}

pub async fn run(config: Config) -> Result<(), StartError> {
    let mut templates = Templates::built_in()?;
    if let Some(dir) = &config.templates_dir {
        templates.load_dir(dir)?;
    }
    let trees = kortvaeg_shared::trees::built_in().map_err(StartError::Trees)?;

    let redis = match &config.redis_url {
        Some(url) => Some(Arc::new(RedisStore::connect(url).await?)),
        None => None,
    };
    let store: Arc<dyn Store> = match &redis {
        Some(redis) => redis.clone(),
        None => {
            // Opening checks the whole file once: keep that off the async runtime.
            let dir = config.data_dir.clone();
            let cache = config.store_cache_bytes();
            let store = tokio::task::spawn_blocking(move || EmbeddedStore::open(&dir, cache))
                .await
                .map_err(|e| crate::store::StoreError::Embedded(e.to_string()))??;
            Arc::new(store)
        }
    };
    // The outage spool is for Redis; an embedded store that fails a write is a broken disk. It
    // is opened even with --outage-buffer 0, so that what an earlier run left in it is written.
    let spool = match &redis {
        Some(_) => {
            let dir = config.spool_dir();
            let (spool, waiting) = tokio::task::spawn_blocking(move || Spool::open(&dir))
                .await
                .map_err(|e| crate::spool::SpoolError::Io(e.to_string()))??;
            Some((spool, waiting))
        }
        None => None,
    };
    let buffer = if redis.is_some() {
        config.outage_buffer
    } else {
        0
    };
    let (writer, writer_task) = Writer::start(
        store.clone(),
        spool,
        config.pacing(),
        config.compact_after,
        WRITER_QUEUE,
        buffer,
        crate::retention::touch_every(config.retention()),
    );
    let streams = redis.clone().map(cluster::Streams::new);
    let link = streams.clone().map(cluster::link);
    let rooms = Rooms::new(
        store.clone(),
        writer,
        config.unload_after(),
        config.doc_limits(),
        link.clone().map(|l| Arc::new(l) as Arc<dyn Nodes>),
        config.max_rooms_loaded,
    );

    let addr = SocketAddr::new(config.bind, config.port);
    let listener = listen(addr).map_err(|source| StartError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(StartError::Serve)?;
    let (shutdown_tx, shutdown) = watch::channel(false);
    if let (Some(streams), Some(link)) = (streams, link) {
        let settings = cluster::Settings {
            compact_after: config.compact_after,
            awareness_timeout: Duration::from_millis(config.awareness_timeout_ms.max(100)),
        };
        cluster::start(streams, rooms.clone(), link, settings, shutdown.clone());
    }
    tokio::spawn(crate::retention::run(
        rooms.clone(),
        store.clone(),
        config.retention(),
        Duration::from_millis(config.retention_sweep_ms),
        shutdown.clone(),
    ));
    let connections = TaskTracker::new();
    let creators = crate::creators::Creators::new(
        config.creator_keys.clone(),
        config.trusted_user_header.clone(),
        config.trusted_proxy.clone(),
    )?;
    if !creators.required() && !config.bind.is_loopback() {
        tracing::warn!(
            bind = %config.bind,
            "anyone who can reach this server may create workshops: set --creator-keys or --trusted-user-header"
        );
    }
    let state = Arc::new(Shared {
        public_base: config.public_base(local.port()),
        config,
        templates,
        metrics: crate::metrics::install(),
        trees,
        store: store.clone(),
        rooms: rooms.clone(),
        creators,
        addresses: Default::default(),
        join_lookups: Default::default(),
        shutdown,
        connections: connections.clone(),
    });
    let app = http::router(state.clone());
    tokio::spawn(reload_on_hangup(state.clone()));

    tracing::info!(
        store = store.kind(),
        templates = state.templates.len(),
        "kortvaeg listening on http://{local}"
    );
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: closing connections and flushing rooms");
        let _ = shutdown_tx.send(true);
    };
    crate::serve::serve(
        listener,
        app,
        Duration::from_millis(state.config.request_head_timeout_ms.max(100)),
        signal,
    )
    .await;

    connections.close();
    if tokio::time::timeout(CONNECTION_DRAIN, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the drain period"
        );
    }
    // Every update was stored before it was broadcast; this compacts and waits for the writer's
    // queue, so the store is complete. Rooms still waiting out --unload-after-ms are not waited for.
    match tokio::time::timeout(FLUSH_DEADLINE, rooms.flush_all()).await {
        Ok((flushed, total)) => tracing::info!(flushed, total, "rooms flushed"),
        Err(_) => tracing::warn!(
            spooled = rooms.writer().buffered(),
            "the store did not take everything within {FLUSH_DEADLINE:?}; the outage spool keeps the rest for the next start"
        ),
    }
    writer_task.abort();
    if let Err(error) = store.checkpoint().await {
        tracing::warn!(%error, "the store's write-ahead log was not emptied; it is applied at the next start");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Connections the kernel queues for the server before it accepts them. tokio's default, 1024,
/// overflowed when a thousand clients connected at once (a restart's reconnect storm; the bench's
/// walls and idle connections): each client turned away retries a second later. The kernel caps
/// it at `net.core.somaxconn` (4096 on current kernels).
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` and listens with [`LISTEN_BACKLOG`] (address reuse as tokio's own `bind` has it).
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Reads the creator keys again on each SIGHUP.
async fn reload_on_hangup(state: Arc<Shared>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            match state.creators.reload() {
                Ok(keys) => tracing::info!(keys, "creator keys read again"),
                Err(error) => {
                    tracing::error!(%error, "creator keys not read again; the old ones stay")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = state;
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

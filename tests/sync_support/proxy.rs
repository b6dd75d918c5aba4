//! An HTTP proxy that injects the faults of a bad network between a desktop
//! and the hub: dropped connections (before and after the hub saw the
//! request), delays, 500s, a captive portal's 200 HTML page, duplicated
//! requests and requests delivered late, after newer ones.
//!
//! Each connection carries one request (`Connection: close` both ways), so
//! the proxy never has to understand response framing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Probabilities of each fault per request; the rest pass untouched.
#[derive(Debug, Clone, Copy)]
pub struct FaultPlan {
    pub drop_before: f64,
    pub drop_after: f64,
    pub delay: f64,
    pub error_500: f64,
    pub error_500_after: f64,
    pub captive_portal: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub seed: u64,
}

impl FaultPlan {
    pub fn none() -> FaultPlan {
        FaultPlan {
            drop_before: 0.0,
            drop_after: 0.0,
            delay: 0.0,
            error_500: 0.0,
            error_500_after: 0.0,
            captive_portal: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            seed: 1,
        }
    }

    /// Every fault, each on a few percent of requests.
    pub fn hostile(seed: u64) -> FaultPlan {
        FaultPlan {
            drop_before: 0.06,
            drop_after: 0.06,
            delay: 0.08,
            error_500: 0.05,
            error_500_after: 0.05,
            captive_portal: 0.05,
            duplicate: 0.06,
            reorder: 0.05,
            seed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Pass,
    DropBefore,
    DropAfter,
    Delay,
    Error500,
    Error500After,
    CaptivePortal,
    Duplicate,
    Reorder,
}

/// How many requests met each fault.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub requests: AtomicUsize,
    pub passed: AtomicUsize,
    pub dropped_before: AtomicUsize,
    pub dropped_after: AtomicUsize,
    pub delayed: AtomicUsize,
    pub error_500: AtomicUsize,
    pub error_500_after: AtomicUsize,
    pub captive_portal: AtomicUsize,
    pub duplicated: AtomicUsize,
    pub reordered: AtomicUsize,
    /// Late deliveries not yet made.
    pub late_in_flight: AtomicUsize,
}

impl FaultCounts {
    fn count(&self, fault: Fault) {
        let counter = match fault {
            Fault::Pass => &self.passed,
            Fault::DropBefore => &self.dropped_before,
            Fault::DropAfter => &self.dropped_after,
            Fault::Delay => &self.delayed,
            Fault::Error500 => &self.error_500,
            Fault::Error500After => &self.error_500_after,
            Fault::CaptivePortal => &self.captive_portal,
            Fault::Duplicate => &self.duplicated,
            Fault::Reorder => &self.reordered,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn summary(&self) -> String {
        let n = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        format!(
            "requests {}, passed {}, dropped before hub {}, dropped after hub {}, delayed {}, \
             500 {}, 500 after hub {}, captive portal {}, duplicated {}, delivered late {}",
            n(&self.requests),
            n(&self.passed),
            n(&self.dropped_before),
            n(&self.dropped_after),
            n(&self.delayed),
            n(&self.error_500),
            n(&self.error_500_after),
            n(&self.captive_portal),
            n(&self.duplicated),
            n(&self.reordered),
        )
    }

    /// Waits until every late delivery has reached the hub.
    pub fn settle(&self) {
        while self.late_in_flight.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every kind of fault happened at least once.
    pub fn every_kind_happened(&self) -> bool {
        [
            &self.dropped_before,
            &self.dropped_after,
            &self.delayed,
            &self.error_500,
            &self.error_500_after,
            &self.captive_portal,
            &self.duplicated,
            &self.reordered,
        ]
        .iter()
        .all(|c| c.load(Ordering::Relaxed) > 0)
    }

    /// Faults injected, all kinds together.
    pub fn faults(&self) -> usize {
        self.requests.load(Ordering::Relaxed) - self.passed.load(Ordering::Relaxed)
    }
}

/// A running proxy.
pub struct FaultProxy {
    pub addr: SocketAddr,
    pub counts: Arc<FaultCounts>,
    _runtime: Arc<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 in front of `upstream`.
    pub fn start(upstream: SocketAddr, plan: FaultPlan) -> FaultProxy {
        let runtime = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let counts = Arc::new(FaultCounts::default());
        let loop_counts = Arc::clone(&counts);
        runtime.spawn(async move {
            let mut number: u64 = 0;
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                number += 1;
                let mut rng = fastrand::Rng::with_seed(plan.seed.wrapping_mul(1_000_003) + number);
                let fault = choose(&plan, &mut rng);
                let delay = Duration::from_millis(rng.u64(20..400));
                let counts = Arc::clone(&loop_counts);
                tokio::spawn(async move {
                    let _ = handle(client, upstream, fault, delay, &counts).await;
                });
            }
        });
        FaultProxy {
            addr,
            counts,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn choose(plan: &FaultPlan, rng: &mut fastrand::Rng) -> Fault {
    let mut roll = rng.f64();
    for (p, fault) in [
        (plan.drop_before, Fault::DropBefore),
        (plan.drop_after, Fault::DropAfter),
        (plan.delay, Fault::Delay),
        (plan.error_500, Fault::Error500),
        (plan.error_500_after, Fault::Error500After),
        (plan.captive_portal, Fault::CaptivePortal),
        (plan.duplicate, Fault::Duplicate),
        (plan.reorder, Fault::Reorder),
    ] {
        if roll < p {
            return fault;
        }
        roll -= p;
    }
    Fault::Pass
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    delay: Duration,
    counts: &Arc<FaultCounts>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    counts.requests.fetch_add(1, Ordering::Relaxed);
    counts.count(fault);
    match fault {
        Fault::Pass => {
            let response = forward(upstream, &request).await?;
            client.write_all(&response).await?;
        }
        Fault::DropBefore => {}
        Fault::DropAfter => {
            forward(upstream, &request).await?;
        }
        Fault::Delay => {
            tokio::time::sleep(delay).await;
            let response = forward(upstream, &request).await?;
            client.write_all(&response).await?;
        }
        Fault::Error500 => {
            client
                .write_all(&plain(500, "text/plain", "Internal Server Error"))
                .await?;
        }
        Fault::Error500After => {
            forward(upstream, &request).await?;
            client
                .write_all(&plain(502, "text/html", "<h1>502 Bad Gateway</h1>"))
                .await?;
        }
        Fault::CaptivePortal => {
            let page = "<html><head><title>上网认证</title></head><body>请输入手机号登录 Wi-Fi</body></html>";
            client
                .write_all(&plain(200, "text/html; charset=utf-8", page))
                .await?;
        }
        Fault::Duplicate => {
            let (first, second) =
                tokio::join!(forward(upstream, &request), forward(upstream, &request));
            let response = first.or(second)?;
            client.write_all(&response).await?;
        }
        Fault::Reorder => {
            // The client sees a dropped connection now; the hub gets the
            // request later, after whatever the client sends next.
            counts.late_in_flight.fetch_add(1, Ordering::SeqCst);
            let counts = Arc::clone(counts);
            tokio::spawn(async move {
                tokio::time::sleep(delay * 3).await;
                let _ = forward(upstream, &request).await;
                counts.late_in_flight.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
    client.shutdown().await
}

/// Reads one request (head and `Content-Length` body), with its
/// `Connection` header replaced by `close`.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let mut request: Vec<u8> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| [l.as_bytes(), b"\r\n"].concat())
        .collect();
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(&buffer[body_start..body_start + length]);
    Ok(Some(request))
}

async fn forward(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut hub = TcpStream::connect(upstream).await?;
    hub.write_all(request).await?;
    let mut response = Vec::new();
    hub.read_to_end(&mut response).await?;
    Ok(response)
}

fn plain(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

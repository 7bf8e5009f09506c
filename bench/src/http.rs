//! A minimal HTTP/1.1 keep-alive client over one TCP connection (hyper's low-level API), so the
//! load generator spends its core on requests, not on a connection pool.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;

pub struct Conn {
    send: SendRequest<Full<Bytes>>,
    driver: tokio::task::JoinHandle<()>,
    host: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            send,
            driver,
            host: addr.to_string(),
        })
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> anyhow::Result<Reply> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        if body.is_some() {
            b = b.header("content-type", "application/x-www-form-urlencoded");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        self.send.ready().await?;
        let resp = self.send.send_request(req).await?;
        let (parts, body) = resp.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    pub async fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> anyhow::Result<Reply> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.request(Method::POST, path, headers, Some(body)).await
    }

    pub async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Reply> {
        self.request(Method::GET, path, headers, None).await
    }
}

impl Drop for Conn {
    /// Dropping a connection closes its socket at once, with or without a request in flight:
    /// that is how the benchmark hangs up on the server.
    fn drop(&mut self) {
        self.driver.abort();
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

//! The HTTP/1.1 transport under every request (the download client and the GitHub API): a
//! blocking ureq agent that follows no redirect, decompresses nothing and treats no status as an
//! error (the callers decide), over rustls with ring.
//!
//! TLS trusts the built-in roots (webpki-roots) and the system store, or `SSL_CERT_FILE` /
//! `SSL_CERT_DIR` when set (rustls-native-certs), in one root store, the way reqwest's
//! `rustls-tls` + `rustls-tls-native-roots` did. A certificate rustls refuses surfaces as its own
//! `rustls::Error` inside the request's error ([`rustls_error`]).
//!
//! Proxies are read the way reqwest (hyper-util's matcher, after curl) read them: `HTTPS_PROXY` for
//! https URLs, `HTTP_PROXY` for http ones, `ALL_PROXY` for either when the scheme's own is unset
//! (each also in lower case), none in a CGI process (`REQUEST_METHOD` set); `NO_PROXY` is a comma
//! list of IP addresses, networks (`10.0.0.0/8`), domains (`example.com` and `.example.com` both
//! match the domain and its subdomains) or `*`. A proxy is reached with `CONNECT` for http and
//! https alike; an `https://` proxy is itself spoken to over TLS.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    TcpConnector, Transport, TransportAdapter,
};
use url::Url;

/// The `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("release-action/", env!("CARGO_PKG_VERSION"));

/// An agent for our own redirect handling: no redirect followed, no status an error, no proxy
/// of its own (each request says its own, [`proxy_for`]), TLS through [`tls_config`].
pub(crate) fn agent() -> Result<ureq::Agent, String> {
    let tls = tls_config()?;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .proxy(None)
        .build();
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(TlsConnector { config: tls });
    Ok(ureq::Agent::with_parts(
        config,
        connector,
        DefaultResolver::default(),
    ))
}

/// The rustls configuration, built once per process: webpki-roots plus the native store.
fn tls_config() -> Result<Arc<ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG.get_or_init(build_tls_config).clone()
}

fn build_tls_config() -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let native = rustls_native_certs::load_native_certs();
    let (mut valid, mut invalid) = (0usize, 0usize);
    for cert in native.certs {
        match roots.add(cert) {
            Ok(()) => valid += 1,
            Err(_) => invalid += 1,
        }
    }
    if valid == 0 && invalid > 0 {
        return Err("zero valid certificates found in the native root store".to_string());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The rustls error inside a failed request, if TLS is why it failed.
pub(crate) fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Io(io) => io_rustls_error(io),
        ureq::Error::Other(inner) => inner.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

fn io_rustls_error(io: &std::io::Error) -> Option<&rustls::Error> {
    let inner = io.get_ref()?;
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    inner.downcast_ref::<ureq::Error>().and_then(rustls_error)
}

/// Wraps the connection in TLS when the URL is https (or the proxy is).
#[derive(Debug)]
struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or("");
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_string())
            .map_err(|_| ureq::Error::Tls("invalid DNS name for TLS"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| ureq::Error::Other(Box::new(e)))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// The proxy a request to `url` goes through, from the environment (see the module's doc);
/// `Err` names the variable whose value is no usable proxy URL.
pub(crate) fn proxy_for(url: &Url) -> Result<Option<ureq::Proxy>, String> {
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| crate::runner::env::string(name))
            .unwrap_or_default()
    };
    if crate::runner::env::string("REQUEST_METHOD").is_some() {
        return Ok(None);
    }
    let (name, value) = match url.scheme() {
        "https" => ("HTTPS_PROXY", env(&["HTTPS_PROXY", "https_proxy"])),
        "http" => ("HTTP_PROXY", env(&["HTTP_PROXY", "http_proxy"])),
        _ => return Ok(None),
    };
    let (name, value) = if value.trim().is_empty() {
        ("ALL_PROXY", env(&["ALL_PROXY", "all_proxy"]))
    } else {
        (name, value)
    };
    let value = value.trim();
    if value.is_empty() || no_proxy(&env(&["NO_PROXY", "no_proxy"]), url) {
        return Ok(None);
    }
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let scheme = with_scheme.split("://").next().unwrap_or("");
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "{name}={value}: only http:// and https:// proxies are supported, not {scheme}://"
        ));
    }
    ureq::Proxy::new(&with_scheme)
        .map(Some)
        .map_err(|e| format!("{name}={value}: not a proxy URL ({e})"))
}

/// Whether `NO_PROXY`'s `list` exempts `url`'s host.
fn no_proxy(list: &str, url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = host.parse::<IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| match ip {
        Some(ip) => entry_matches_ip(entry, ip),
        None => entry_matches_domain(entry, host),
    })
}

fn entry_matches_ip(entry: &str, ip: IpAddr) -> bool {
    if let Some((net, bits)) = entry.split_once('/') {
        let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
            return false;
        };
        return match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) if bits <= 32 => {
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) if bits <= 128 => {
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        };
    }
    entry.parse::<IpAddr>().is_ok_and(|e| e == ip)
}

/// curl's rule: `example.com` and `.example.com` match the domain and every subdomain; `*` all.
fn entry_matches_domain(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let domain = entry.strip_prefix('.').unwrap_or(entry);
    if domain.is_empty() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    let domain = domain.to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    #[test]
    fn no_proxy_matches_like_curl() {
        let list = "example.com, .corp.example, 10.0.0.0/8, 127.0.0.1, ::1";
        for yes in [
            "https://example.com/",
            "https://www.EXAMPLE.com/",
            "https://corp.example/",
            "https://a.corp.example/",
            "http://10.1.2.3/",
            "http://127.0.0.1:4873/",
            "http://[::1]:4873/",
        ] {
            assert!(no_proxy(list, &url(yes)), "{yes}");
        }
        for no in [
            "https://notexample.com/",
            "https://example.com.evil/",
            "http://11.0.0.1/",
            "http://127.0.0.2/",
        ] {
            assert!(!no_proxy(list, &url(no)), "{no}");
        }
        assert!(no_proxy("*", &url("https://any.where/")));
        assert!(!no_proxy("", &url("https://any.where/")));
    }
}

//! Requests that must not be tied to the device that makes them.

use reqwest::header;

use crate::Error;
use crate::client::{
    CONNECT_TIMEOUT, REQUEST_TIMEOUT, check_reply_id, decode_response, raw_or_none, send,
};
use crate::tls::{Fingerprint, check_transport, configure};
use crate::wire::{self, CBOR, DropAccepted, DropRequest, GroupId};

/// The whole user agent: no version, so it says nothing that differs between devices.
const USER_AGENT: &str = "porchlight";

/// The client for the two endpoints that take no session: posting an anonymous drop (paid for
/// with a single-use drop token that does not say who spends it) and reading a published reply.
///
/// It holds nothing, on purpose. Every call builds a brand-new HTTP client and drops it when the
/// call returns: no idle connection is kept (`pool_max_idle_per_host(0)`), there is no cookie
/// store, and besides `Host` and the body's length every header is a constant (user agent,
/// `Accept`, `Content-Type`), the same on every device. So an anonymous
/// request never travels over a connection the device's [`crate::HttpClient`] opened (where the
/// server could tie it to the bearer token sent earlier on the same connection), never carries a
/// token or cookie, and cannot be linked to the next anonymous request by a reused connection
/// either; with a pinned certificate TLS session resumption is off as well, so no session ticket
/// links two anonymous requests (without a pin the fresh client's session cache dies with it).
/// Redirects are not followed, so a drop goes to the server the group named and nowhere
/// else. What remains visible to the server is the network address, which it uses only for the
/// in-memory limit on reply reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct AnonymousClient;

impl AnonymousClient {
    /// Posts one sealed envelope to the drop box of `request.group` on the server at `base_url`.
    pub async fn drop(base_url: &str, request: &DropRequest) -> Result<DropAccepted, Error> {
        Self::drop_pinned(base_url, None, request).await
    }

    /// [`AnonymousClient::drop`] to a server whose certificate is pinned (see [`crate::tls`]).
    pub async fn drop_pinned(
        base_url: &str,
        pin: Option<&Fingerprint>,
        request: &DropRequest,
    ) -> Result<DropAccepted, Error> {
        let (http, base) = fresh_client(base_url, pin)?;
        let builder = http
            .post(format!("{base}/v1/drop"))
            .header(header::ACCEPT, CBOR)
            .header(header::CONTENT_TYPE, CBOR)
            .body(wire::encode(request)?);
        decode_response(send(builder).await?).await
    }

    /// Reads the reply published in `group` under `id` (32 lowercase hex digits); `None` when
    /// there is none (yet). Reply ids are per group, so another group cannot claim one.
    pub async fn reply(base_url: &str, group: GroupId, id: &str) -> Result<Option<Vec<u8>>, Error> {
        Self::reply_pinned(base_url, None, group, id).await
    }

    /// [`AnonymousClient::reply`] from a server whose certificate is pinned.
    pub async fn reply_pinned(
        base_url: &str,
        pin: Option<&Fingerprint>,
        group: GroupId,
        id: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        check_reply_id(id)?;
        let (http, base) = fresh_client(base_url, pin)?;
        raw_or_none(send(http.get(format!("{base}/v1/replies/{group}/{id}"))).await).await
    }
}

/// A brand-new client and the checked base URL; plain `http://` beyond loopback is refused here,
/// before anything is sent.
fn fresh_client(
    base_url: &str,
    pin: Option<&Fingerprint>,
) -> Result<(reqwest::Client, String), Error> {
    let target = check_transport(base_url, pin)?;
    let builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        // Compression is for sync pages; anonymous requests keep their few constant headers.
        .no_gzip()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT);
    let http = configure(builder, &target, pin, false)?
        .build()
        .map_err(Error::Request)?;
    Ok((http, target.base))
}

//! Requests that must not be tied to the device that makes them.

use reqwest::header;

use crate::Error;
use crate::client::{
    CONNECT_TIMEOUT, REQUEST_TIMEOUT, check_reply_id, decode_response, raw_or_none, send,
};
use crate::wire::{self, CBOR, DropAccepted, DropRequest, GroupId};
use porchlight_protocol::check_server_url;

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
/// either. Redirects are not followed, so a drop goes to the server the group named and nowhere
/// else. What remains visible to the server is the network address, which it uses only for the
/// in-memory limit on reply reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct AnonymousClient;

impl AnonymousClient {
    /// Posts one sealed envelope to the drop box of `request.group` on the server at `base_url`.
    pub async fn drop(base_url: &str, request: &DropRequest) -> Result<DropAccepted, Error> {
        let base = check_server_url(base_url)?;
        let http = fresh_client()?;
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
        let base = check_server_url(base_url)?;
        check_reply_id(id)?;
        let http = fresh_client()?;
        raw_or_none(send(http.get(format!("{base}/v1/replies/{group}/{id}"))).await).await
    }
}

fn fresh_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        // Compression is for sync pages; anonymous requests keep their few constant headers.
        .no_gzip()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(Error::Request)
}

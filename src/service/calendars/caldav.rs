//! A small CalDAV client (RFC 4791 on WebDAV, RFC 4918, with RFC 6764 discovery and
//! RFC 5397 principals): find a user's calendars, read a calendar's change token and
//! the events in a time range, write and remove one event resource.
//!
//! Redirects are followed by hand (at most five, same method), so every address the
//! client is sent to is checked first: unless the operator allows it, a server on a
//! loopback, private or link-local address is refused, and mentors cannot make the
//! server call into its own network. Answers are read up to a size limit.

use std::net::IpAddr;

use reqwest::{Method, StatusCode, Url, header};

/// Why talking to a calendar server failed, worded for the person who connected it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavError {
    /// No answer (name, connection, timeout) or a server error.
    Unreachable(String),
    /// The server refused the user name and password (401/403).
    Refused(String),
    /// The server answered, but not as a CalDAV server with calendars.
    NotCalDav(String),
    /// The address is not one we may call.
    Forbidden(String),
}

impl std::fmt::Display for DavError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DavError::Unreachable(s)
            | DavError::Refused(s)
            | DavError::NotCalDav(s)
            | DavError::Forbidden(s) => f.write_str(s),
        }
    }
}

/// Largest answer read (a month of a busy calendar is far below it).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// One server account.
pub struct Dav<'a> {
    pub http: &'a reqwest::Client,
    pub username: &'a str,
    pub password: &'a str,
    pub allow_private: bool,
}

/// A calendar collection found on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCalendar {
    pub url: String,
    pub name: String,
    pub color: String,
    /// Its change token (`sync-token`, else `getctag`), empty when it offers none.
    pub token: String,
}

/// One event resource read from a calendar.
#[derive(Debug, Clone)]
pub struct RemoteEvent {
    pub href: String,
    pub data: String,
}

/// A property of one resource in a multistatus answer, as far as we read it.
#[derive(Debug, Clone, Default)]
struct Prop {
    text: String,
    hrefs: Vec<String>,
    /// Local names of child elements (resource types).
    children: Vec<String>,
    /// `name` attributes of `comp` children (supported components).
    comps: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct DavResponse {
    href: String,
    /// Properties found (status 200), by local name.
    props: Vec<(String, Prop)>,
}

impl DavResponse {
    fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }
}

const DAV: &str = "DAV:";

/// Reads a WebDAV multistatus document.
fn multistatus(xml: &str) -> Result<Vec<DavResponse>, DavError> {
    let doc = roxmltree::Document::parse(xml)
        .map_err(|e| DavError::NotCalDav(format!("The server's answer is not valid XML ({e}).")))?;
    let is = |n: &roxmltree::Node, name: &str| {
        n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(DAV)
    };
    let mut out = vec![];
    for resp in doc.descendants().filter(|n| is(n, "response")) {
        let mut r = DavResponse::default();
        if let Some(h) = resp.children().find(|n| is(n, "href")) {
            r.href = h.text().unwrap_or("").trim().to_string();
        }
        for ps in resp.children().filter(|n| is(n, "propstat")) {
            let ok = ps
                .children()
                .find(|n| is(n, "status"))
                .and_then(|s| s.text())
                .is_some_and(|s| s.contains(" 200"));
            if !ok {
                continue;
            }
            for prop in ps.children().filter(|n| is(n, "prop")) {
                for p in prop.children().filter(roxmltree::Node::is_element) {
                    let mut v = Prop {
                        text: p
                            .descendants()
                            .filter(roxmltree::Node::is_text)
                            .filter_map(|t| t.text())
                            .collect::<String>()
                            .trim()
                            .to_string(),
                        ..Prop::default()
                    };
                    for c in p.children().filter(roxmltree::Node::is_element) {
                        if is(&c, "href") {
                            v.hrefs.push(c.text().unwrap_or("").trim().to_string());
                        }
                        if c.tag_name().name() == "comp"
                            && let Some(name) = c.attribute("name")
                        {
                            v.comps.push(name.to_ascii_uppercase());
                        }
                        v.children.push(c.tag_name().name().to_string());
                    }
                    r.props.push((p.tag_name().name().to_string(), v));
                }
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// A time in CalDAV's UTC form.
fn dav_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Whether an address is one a user-supplied URL may not reach.
fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a URL the way every request does: http(s), a host, and (unless allowed) no
/// private address behind it.
pub async fn check_url(url: &Url, allow_private: bool) -> Result<(), DavError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DavError::Forbidden(
            "The calendar address must start with https:// (or http://).".into(),
        ));
    }
    let Some(host) = url.host_str() else {
        return Err(DavError::Forbidden(
            "The calendar address has no host.".into(),
        ));
    };
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| DavError::Unreachable(format!("Cannot find the server {host}: {e}.")))?
            .map(|a| a.ip())
            .collect(),
    };
    if addrs.iter().any(|ip| private(*ip)) {
        return Err(DavError::Forbidden(format!(
            "{host} is a private or local address, which this server does not call."
        )));
    }
    Ok(())
}

struct Answer {
    status: StatusCode,
    etag: String,
    body: String,
    /// The URL that answered (after redirects).
    url: Url,
}

impl Dav<'_> {
    /// Sends one request, following redirects by hand (same method and body).
    async fn send(
        &self,
        method: &str,
        url: &Url,
        depth: Option<&str>,
        body: Option<(&str, String)>,
        extra: &[(header::HeaderName, String)],
    ) -> Result<Answer, DavError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| DavError::NotCalDav(e.to_string()))?;
        let mut url = url.clone();
        for _ in 0..6 {
            check_url(&url, self.allow_private).await?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .basic_auth(self.username, Some(self.password));
            if let Some(d) = depth {
                req = req.header("Depth", d);
            }
            for (k, v) in extra {
                req = req.header(k, v);
            }
            if let Some((ct, b)) = &body {
                req = req.header(header::CONTENT_TYPE, *ct).body(b.clone());
            }
            let resp = req.send().await.map_err(|e| {
                DavError::Unreachable(format!(
                    "The calendar server at {} does not answer ({}).",
                    url.host_str().unwrap_or("?"),
                    if e.is_timeout() {
                        "timed out".to_string()
                    } else if e.is_connect() {
                        "cannot connect".to_string()
                    } else {
                        e.to_string()
                    }
                ))
            })?;
            let status = resp.status();
            if status.is_redirection() {
                let Some(next) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return Err(DavError::NotCalDav(
                        "The server redirected without saying where.".into(),
                    ));
                };
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(DavError::Refused(
                    "The calendar server refused the user name and password.".into(),
                ));
            }
            if status.is_server_error() {
                return Err(DavError::Unreachable(format!(
                    "The calendar server answered {status}."
                )));
            }
            let etag = resp
                .headers()
                .get(header::ETAG)
                .and_then(|e| e.to_str().ok())
                .unwrap_or("")
                .to_string();
            if resp.content_length().unwrap_or(0) > MAX_BODY as u64 {
                return Err(DavError::NotCalDav(
                    "The calendar server's answer is too large.".into(),
                ));
            }
            let mut body = Vec::new();
            let mut resp = resp;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| DavError::Unreachable(format!("The answer broke off ({e}).")))?
            {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(DavError::NotCalDav(
                        "The calendar server's answer is too large.".into(),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Answer {
                status,
                etag,
                body: String::from_utf8_lossy(&body).into_owned(),
                url,
            });
        }
        Err(DavError::NotCalDav(
            "The calendar server redirected too many times.".into(),
        ))
    }

    async fn propfind(
        &self,
        url: &Url,
        depth: &str,
        props: &str,
    ) -> Result<(Url, Vec<DavResponse>), DavError> {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
             <d:propfind xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\" \
             xmlns:cs=\"http://calendarserver.org/ns/\" xmlns:a=\"http://apple.com/ns/ical/\">\
             <d:prop>{props}</d:prop></d:propfind>"
        );
        let a = self
            .send(
                "PROPFIND",
                url,
                Some(depth),
                Some(("application/xml; charset=utf-8", body)),
                &[],
            )
            .await?;
        if a.status != StatusCode::MULTI_STATUS {
            return Err(DavError::NotCalDav(format!(
                "{} is not a CalDAV address (it answered {}).",
                url, a.status
            )));
        }
        Ok((a.url, multistatus(&a.body)?))
    }

    /// Finds the calendars of the account at `server`: the address itself when it is
    /// a calendar home or a calendar, else the principal it names, else
    /// `/.well-known/caldav` on its host (RFC 6764). Returns the calendar home and the
    /// calendars holding events.
    pub async fn discover(&self, server: &Url) -> Result<(Url, Vec<RemoteCalendar>), DavError> {
        let mut candidates = vec![server.clone()];
        if let Ok(wk) = server.join("/.well-known/caldav")
            && &wk != server
        {
            candidates.push(wk);
        }
        let mut last = DavError::NotCalDav(format!("No calendars found at {server}."));
        for start in candidates {
            match self.home_of(&start).await {
                Ok(home) => {
                    let cals = self.calendars(&home).await?;
                    if cals.is_empty() {
                        last = DavError::NotCalDav(
                            "The account was found but has no calendar with events.".into(),
                        );
                        continue;
                    }
                    return Ok((home, cals));
                }
                Err(e @ (DavError::Refused(_) | DavError::Forbidden(_))) => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The calendar home reachable from `start`.
    async fn home_of(&self, start: &Url) -> Result<Url, DavError> {
        let (at, found) = self
            .propfind(
                start,
                "0",
                "<d:current-user-principal/><c:calendar-home-set/><d:resourcetype/>",
            )
            .await?;
        let first = found.first().cloned().unwrap_or_default();
        if let Some(home) = first
            .prop("calendar-home-set")
            .and_then(|p| p.hrefs.first())
        {
            return join(&at, home);
        }
        if first
            .prop("resourcetype")
            .is_some_and(|p| p.children.iter().any(|c| c == "calendar"))
        {
            // A calendar itself: its parent is the home.
            return join(&at, "./..");
        }
        let Some(principal) = first
            .prop("current-user-principal")
            .and_then(|p| p.hrefs.first())
        else {
            return Err(DavError::NotCalDav(format!(
                "{at} names no calendar account."
            )));
        };
        let principal = join(&at, principal)?;
        let (at, found) = self
            .propfind(&principal, "0", "<c:calendar-home-set/>")
            .await?;
        let home = found
            .first()
            .and_then(|r| r.prop("calendar-home-set"))
            .and_then(|p| p.hrefs.first())
            .ok_or_else(|| DavError::NotCalDav("The account has no calendar home.".into()))?;
        join(&at, home)
    }

    /// The event calendars in a calendar home.
    pub async fn calendars(&self, home: &Url) -> Result<Vec<RemoteCalendar>, DavError> {
        let (at, found) = self
            .propfind(
                home,
                "1",
                "<d:resourcetype/><d:displayname/><a:calendar-color/>\
                 <c:supported-calendar-component-set/><d:sync-token/><cs:getctag/>",
            )
            .await?;
        let mut out = vec![];
        for r in found {
            let is_calendar = r
                .prop("resourcetype")
                .is_some_and(|p| p.children.iter().any(|c| c == "calendar"));
            let events = r
                .prop("supported-calendar-component-set")
                .is_none_or(|p| p.comps.is_empty() || p.comps.iter().any(|c| c == "VEVENT"));
            if !is_calendar || !events {
                continue;
            }
            let url = join(&at, &r.href)?;
            let name = r
                .prop("displayname")
                .map(|p| p.text.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| {
                    url.path_segments()
                        .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_string))
                        .unwrap_or_else(|| "Calendar".into())
                });
            out.push(RemoteCalendar {
                url: url.to_string(),
                name,
                color: r
                    .prop("calendar-color")
                    .map(|p| p.text.clone())
                    .unwrap_or_default(),
                token: token_of(&r),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.url.cmp(&b.url)));
        Ok(out)
    }

    /// A calendar's change token now (empty when the server offers none).
    pub async fn token(&self, calendar: &Url) -> Result<String, DavError> {
        let (_, found) = self
            .propfind(calendar, "0", "<d:sync-token/><cs:getctag/>")
            .await?;
        Ok(found.first().map(token_of).unwrap_or_default())
    }

    /// The event resources of a calendar with an occurrence in `[from, to)` (the
    /// server expands recurrences to decide; we expand them ourselves to read them).
    pub async fn events(
        &self,
        calendar: &Url,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<RemoteEvent>, DavError> {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
             <c:calendar-query xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">\
             <d:prop><d:getetag/><c:calendar-data/></d:prop>\
             <c:filter><c:comp-filter name=\"VCALENDAR\"><c:comp-filter name=\"VEVENT\">\
             <c:time-range start=\"{}\" end=\"{}\"/></c:comp-filter></c:comp-filter></c:filter>\
             </c:calendar-query>",
            dav_time(from),
            dav_time(to)
        );
        let a = self
            .send(
                "REPORT",
                calendar,
                Some("1"),
                Some(("application/xml; charset=utf-8", body)),
                &[],
            )
            .await?;
        if a.status != StatusCode::MULTI_STATUS {
            return Err(DavError::NotCalDav(format!(
                "The calendar {calendar} cannot be searched (it answered {}).",
                a.status
            )));
        }
        Ok(multistatus(&a.body)?
            .into_iter()
            .filter_map(|r| {
                let data = r.prop("calendar-data")?.text.clone();
                (!data.is_empty()).then_some(RemoteEvent { href: r.href, data })
            })
            .collect())
    }

    /// Writes one event resource (creating or replacing it); returns its new ETag.
    pub async fn put(&self, resource: &Url, ics: &str) -> Result<String, DavError> {
        let a = self
            .send(
                "PUT",
                resource,
                None,
                Some(("text/calendar; charset=utf-8", ics.to_string())),
                &[],
            )
            .await?;
        if !a.status.is_success() {
            return Err(DavError::NotCalDav(format!(
                "The calendar did not take the event (it answered {}: {}).",
                a.status,
                a.body.chars().take(200).collect::<String>()
            )));
        }
        Ok(a.etag)
    }

    /// Removes one event resource (gone already is fine).
    pub async fn delete(&self, resource: &Url) -> Result<(), DavError> {
        let a = self.send("DELETE", resource, None, None, &[]).await?;
        if a.status.is_success()
            || a.status == StatusCode::NOT_FOUND
            || a.status == StatusCode::GONE
        {
            Ok(())
        } else {
            Err(DavError::NotCalDav(format!(
                "The calendar did not remove the event (it answered {}).",
                a.status
            )))
        }
    }
}

fn token_of(r: &DavResponse) -> String {
    r.prop("sync-token")
        .or_else(|| r.prop("getctag"))
        .map(|p| p.text.clone())
        .unwrap_or_default()
}

/// `href` (absolute or relative) against `base`.
fn join(base: &Url, href: &str) -> Result<Url, DavError> {
    base.join(href)
        .map_err(|_| DavError::NotCalDav(format!("The server named a bad address: {href}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_multistatus_answer_whatever_the_prefixes() {
        let xml = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">
 <response><href>/alice/work/</href>
  <propstat><prop><resourcetype><collection/><C:calendar/></resourcetype><displayname>Work</displayname>
   <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
   <CS:getctag>"abc"</CS:getctag></prop><status>HTTP/1.1 200 OK</status></propstat>
  <propstat><prop><sync-token/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
 </response>
 <response><href>/alice/</href><propstat><prop><current-user-principal><href>/alice/</href></current-user-principal></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>"#;
        let r = multistatus(xml).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].href, "/alice/work/");
        assert!(
            r[0].prop("resourcetype")
                .unwrap()
                .children
                .contains(&"calendar".to_string())
        );
        assert_eq!(r[0].prop("displayname").unwrap().text, "Work");
        assert_eq!(
            r[0].prop("supported-calendar-component-set").unwrap().comps,
            vec!["VEVENT"]
        );
        assert_eq!(token_of(&r[0]), "\"abc\"");
        assert!(
            r[0].prop("sync-token").is_none(),
            "a 404 propstat is not a value"
        );
        assert_eq!(
            r[1].prop("current-user-principal").unwrap().hrefs,
            vec!["/alice/"]
        );
        assert!(multistatus("not xml").is_err());
    }

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "100.128.0.1"] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_call() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(matches!(
            check_url(&u("ftp://example.com/"), true).await,
            Err(DavError::Forbidden(_))
        ));
        assert!(matches!(
            check_url(&u("http://127.0.0.1:5232/"), false).await,
            Err(DavError::Forbidden(_))
        ));
        assert!(check_url(&u("http://127.0.0.1:5232/"), true).await.is_ok());
    }
}

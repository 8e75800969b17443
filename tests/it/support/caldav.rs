//! A real CalDAV server for tests: Radicale (from PyPI) in a temporary folder on a free
//! loopback port, with plain-text passwords, stopped when dropped. Skipped with a
//! message when Radicale is not installed, unless `MENTORHUB_REQUIRE_CALDAV` is set
//! (as CI does).

use std::process::{Child, Command, Stdio};

pub struct Radicale {
    pub base: String,
    child: Child,
    config: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Drop for Radicale {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &std::path::Path) -> Child {
    Command::new("python3")
        .args(["-m", "radicale", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting Radicale")
}

pub const USER: &str = "mentor";
pub const PASSWORD: &str = "app-password-1";

impl Radicale {
    /// Starts a server with one account ([`USER`], [`PASSWORD`]); `None` (after a
    /// message) when Radicale is not installed and not required.
    pub async fn start() -> Option<Radicale> {
        let installed = Command::new("python3")
            .args(["-m", "radicale", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            if std::env::var_os("MENTORHUB_REQUIRE_CALDAV").is_some() {
                panic!("Radicale is not installed (pip install radicale)");
            }
            eprintln!("skipping: Radicale is not installed (pip install radicale)");
            return None;
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let users = dir.path().join("users");
        std::fs::write(&users, format!("{USER}:{PASSWORD}\nother:other-password\n"))
            .expect("users");
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            format!(
                "[server]\nhosts = 127.0.0.1:{port}\n\n[auth]\ntype = htpasswd\nhtpasswd_filename = {}\n\
                 htpasswd_encryption = plain\ndelay = 0\n\n[storage]\nfilesystem_folder = {}\n\n\
                 [rights]\ntype = owner_only\n\n[logging]\nlevel = warning\n",
                users.display(),
                dir.path().join("collections").display()
            ),
        )
        .expect("config");
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Radicale {
            base,
            child: spawn(&config),
            config,
            port,
            _dir: dir,
            http: reqwest::Client::new(),
        };
        server.wait_up().await;
        Some(server)
    }

    async fn wait_up(&mut self) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("Radicale did not start on port {}", self.port);
    }

    /// Starts the server again after [`Radicale::stop`], with the same data.
    pub async fn restart(&mut self) {
        self.child = spawn(&self.config);
        self.wait_up().await;
    }

    /// The URL of a calendar of [`USER`].
    pub fn calendar_url(&self, name: &str) -> String {
        format!("{}/{USER}/{name}/", self.base)
    }

    async fn call(&self, method: &str, url: &str, body: Option<(&str, String)>) -> u16 {
        let mut req = self
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                url,
            )
            .basic_auth(USER, Some(PASSWORD));
        if let Some((ct, b)) = body {
            req = req.header("Content-Type", ct).body(b);
        }
        req.send()
            .await
            .expect("Radicale answers")
            .status()
            .as_u16()
    }

    /// Creates a calendar of [`USER`] named `name` (shown as `display`).
    pub async fn make_calendar(&self, name: &str, display: &str) {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar xmlns:D=\"DAV:\" \
             xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop><D:displayname>{display}</D:displayname>\
             <C:supported-calendar-component-set><C:comp name=\"VEVENT\"/></C:supported-calendar-component-set>\
             </D:prop></D:set></C:mkcalendar>"
        );
        let status = self
            .call(
                "MKCALENDAR",
                &self.calendar_url(name),
                Some(("application/xml", body)),
            )
            .await;
        assert_eq!(status, 201, "MKCALENDAR {name}");
    }

    /// Puts one event resource (`ics` is a whole VCALENDAR).
    pub async fn put_event(&self, calendar: &str, resource: &str, ics: &str) {
        let url = format!("{}{resource}.ics", self.calendar_url(calendar));
        let status = self
            .call(
                "PUT",
                &url,
                Some(("text/calendar", ics.replace('\n', "\r\n"))),
            )
            .await;
        assert!(status == 201 || status == 204, "PUT {resource}: {status}");
    }

    /// The event resources of a calendar: (href, text).
    pub async fn events(&self, calendar: &str) -> Vec<(String, String)> {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:calendar-query xmlns:D=\"DAV:\" \
             xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><C:calendar-data/></D:prop>\
             <C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter></C:calendar-query>";
        let text = self
            .http
            .request(
                reqwest::Method::from_bytes(b"REPORT").expect("method"),
                self.calendar_url(calendar),
            )
            .basic_auth(USER, Some(PASSWORD))
            .header("Depth", "1")
            .header("Content-Type", "application/xml")
            .body(body)
            .send()
            .await
            .expect("REPORT")
            .text()
            .await
            .expect("REPORT body");
        // Split the multistatus by response; good enough for our own assertions.
        text.split("response>")
            .filter_map(|part| {
                let href = part
                    .split("href>")
                    .nth(1)?
                    .trim_end_matches("</")
                    .to_string();
                let data = part.split("calendar-data").nth(1)?;
                let data = data.split_once('>')?.1.rsplit_once("</")?.0.to_string();
                Some((href.replace("</D:", "").replace("</", ""), data))
            })
            .filter(|(_, d)| d.contains("BEGIN:VCALENDAR"))
            .collect()
    }

    /// Stops the server (it can be started again with [`Radicale::restart`]).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Real headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`). Where they are not installed, browser tests print why and skip;
//! set `MENTORHUB_REQUIRE_BROWSER=1` (CI does) to make a missing browser a failure.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// One browser at a time: two cores do not run several Chromiums well.
static BROWSER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Browser {
    pub client: Client,
    driver: Option<Child>,
    _guard: Option<tokio::sync::MutexGuard<'static, ()>>,
    url: String,
    caps: serde_json::Map<String, serde_json::Value>,
}

fn find(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(env)
        && std::path::Path::new(&p).exists()
    {
        return Some(p);
    }
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or `None` (with a printed
    /// reason) when they are not installed.
    pub async fn start() -> Option<Browser> {
        let driver_bin = find("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let chrome_bin = find(
            "CHROME",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
            let msg = "browser test skipped: chromium and chromedriver are not installed \
                       (apt-get install -y chromium chromium-driver)";
            if std::env::var("MENTORHUB_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!("{msg}, and MENTORHUB_REQUIRE_BROWSER=1");
            }
            eprintln!("{msg}");
            return None;
        };
        let guard = BROWSER_LOCK.lock().await;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chrome_bin,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                ]
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let mut last_err = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver: Some(driver),
                        _guard: Some(guard),
                        url,
                        caps,
                    });
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start a Chromium session: {last_err:?}");
    }

    /// A second, independent browser session on the same driver (another person).
    pub async fn twin(&self) -> Browser {
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(self.caps.clone())
            .connect(&self.url)
            .await
            .expect("a second session");
        Browser {
            client,
            driver: None,
            _guard: None,
            url: self.url.clone(),
            caps: self.caps.clone(),
        }
    }

    /// Waits (up to 10 s) until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> bool {
        for _ in 0..100 {
            if self.page_has(needle).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    /// Goes to `url` even if where it leads does not load (an unreachable host).
    pub async fn goto_anywhere(&self, url: &str) {
        let _ = self.client.goto(url).await;
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks the first button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space(.)='{text}']");
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("find button {text}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Waits (up to 10 s) for the browser to arrive at `path` (or, when `path` ends
    /// with `/`, anywhere under it), and returns where it is.
    pub async fn wait_for_path(&self, path: &str) -> String {
        let arrived = |now: &str| {
            if path.ends_with('/') && path.len() > 1 {
                now.starts_with(path)
            } else {
                now == path
            }
        };
        let mut now = self.path().await;
        for _ in 0..100 {
            if arrived(&now) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            now = self.path().await;
        }
        now
    }

    /// Waits (up to 10 s) until the full URL contains `needle` (e.g. a query string
    /// after a GET form posted to the page it is on).
    pub async fn wait_for_url_containing(&self, needle: &str) -> bool {
        for _ in 0..100 {
            if let Ok(u) = self.client.current_url().await
                && u.as_str().contains(needle)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// The whole address the browser is at.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    /// Finds an element, waiting up to 10 s for it: after a click the next page may
    /// still be loading (a form that posts back to the same path looks "arrived").
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let mut last = None;
        for _ in 0..100 {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => return el,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("find {css}: {last:?}")
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Signs in through the login form and waits for the dashboard.
    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click_button("Sign in").await;
        assert_eq!(
            self.wait_for_path("/dashboard").await,
            "/dashboard",
            "signed in as {email}"
        );
    }

    /// Whether the page's text contains `needle`.
    /// A page still loading has no body yet: that is "not yet", not a failure.
    pub async fn page_has(&self, needle: &str) -> bool {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.is_ok_and(|t| t.contains(needle)),
            Err(_) => false,
        }
    }

    /// Saves a screenshot when `MENTORHUB_SCREENSHOTS` names a directory.
    pub async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("MENTORHUB_SCREENSHOTS") {
            let png = self.client.screenshot().await.expect("screenshot");
            let _ = std::fs::create_dir_all(&dir);
            std::fs::write(format!("{dir}/{name}.png"), png).expect("write screenshot");
        }
    }

    /// Screenshots at desktop (1280 px) and phone (390 px) width, `<name>-desktop.png`
    /// and `<name>-phone.png`, when `MENTORHUB_SCREENSHOTS` names a directory.
    pub async fn screenshots(&self, name: &str) {
        if std::env::var("MENTORHUB_SCREENSHOTS").is_err() {
            return;
        }
        self.screenshot(&format!("{name}-desktop")).await;
        self.client
            .set_window_size(390, 844)
            .await
            .expect("phone width");
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.screenshot(&format!("{name}-phone")).await;
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("desktop width");
    }

    /// Presses keys on whatever has the focus (WebDriver key codes: "\u{E004}" is Tab,
    /// "\u{E007}" Enter).
    pub async fn press(&self, keys: &str) {
        let el = self
            .client
            .active_element()
            .await
            .expect("the focused element");
        el.send_keys(keys).await.expect("keys");
    }

    /// Presses Tab until the focus is on an element matching `css` (at most 300 times),
    /// as a keyboard user moves through a page.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..300 {
            let on = self
                .js(&format!(
                    "return !!document.activeElement && document.activeElement.matches({css:?});"
                ))
                .await;
            if on == serde_json::Value::Bool(true) {
                return;
            }
            self.press("\u{E004}").await;
        }
        panic!("Tab never reached {css}");
    }

    /// The serious and critical accessibility violations axe-core finds on the page
    /// ("rule: help — where"), with axe's source given.
    pub async fn axe(&self, axe_source: &str) -> Vec<String> {
        self.client
            .execute(&format!("{axe_source}\n;return true;"), vec![])
            .await
            .expect("load axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
                        v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '))))
                   .catch((e) => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets the window to `width` × `height`.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// Runs JavaScript in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        if let Some(d) = self.driver.as_mut() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(d) = self.driver.as_mut() {
            let _ = d.kill();
        }
    }
}

// mentorhub's small progressive enhancements. Every page works without this file.
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // Small screens: the navigation folds behind a Menu button.
  const toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      for (const id of ["site-nav", "nav-user"]) {
        const el = document.getElementById(id);
        if (el) el.classList.toggle("open", open);
      }
    });
  }
  // A strip of tabs wider than the screen (a phone): the current tab in view.
  for (const current of document.querySelectorAll('nav.tabs a[aria-current="page"]')) {
    const strip = current.parentElement;
    if (strip.scrollWidth > strip.clientWidth) {
      strip.scrollLeft = current.offsetLeft - strip.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
    }
  }
  // A Copy button beside a read-only address (shown only where it can work).
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) continue;
    button.hidden = false;
    field.addEventListener("focus", () => field.select());
    button.addEventListener("click", async () => {
      field.select();
      let copied = false;
      try {
        await navigator.clipboard.writeText(field.value);
        copied = true;
      } catch (_) {
        copied = document.execCommand && document.execCommand("copy");
      }
      button.textContent = copied ? "Copied" : "Select and copy it";
    });
  }
  // A form that came back with errors: take the reader to its summary.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // The booking form: how many sessions only matters for a repeat.
  const every = document.getElementById("repeat-every");
  const count = document.getElementById("occurrences-field");
  if (every && count) {
    const show = () => { count.hidden = every.value === ""; };
    every.addEventListener("change", show);
    show();
  }
  // On the sign-up form, preselect the browser's time zone.
  for (const select of document.querySelectorAll("select[data-detect-timezone]")) {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && select.value === "UTC") {
        // An old name some browsers still report (Asia/Calcutta) is not listed: it is
        // offered as it is, and the server knows it.
        if (![...select.options].some((o) => o.value === zone)) {
          const own = document.createElement("option");
          own.value = zone;
          own.textContent = zone;
          select.prepend(own);
        }
        select.value = zone;
      }
    } catch (_) {
      // Older browsers: keep the server's default.
    }
  }
  // Destructive actions ask first, saying what they will do; a confirmed form tells
  // the server so (without script, the server asks on a page of its own).
  // A button of its own in a form that does other things (Remove beside Save).
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (e) => {
      if (!window.confirm(button.dataset.confirm)) {
        e.preventDefault();
        return;
      }
      if (button.form) markConfirmed(button.form);
    });
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) {
        e.preventDefault();
        return;
      }
      markConfirmed(form);
    });
  }
  for (const area of document.querySelectorAll("textarea[data-preview]")) {
    livePreview(area, document.getElementById(area.dataset.preview));
  }
  // Self-ratings of skills: the boxes show what is saved for the moment chosen (at
  // the start, at the end), not "Not rated" after every save. Without the script they
  // start at "Not rated", which changes nothing when sent.
  const ratings = document.getElementById("skill-ratings");
  if (ratings) {
    const show = () => {
      const phase = ratings.querySelector("input[name=phase]:checked");
      if (!phase) return;
      for (const box of ratings.querySelectorAll("select[data-start]")) {
        box.value = (phase.value === "end" ? box.dataset.end : box.dataset.start) || "0";
      }
    };
    for (const radio of ratings.querySelectorAll("input[name=phase]")) radio.addEventListener("change", show);
    show();
  }
  if (document.body.dataset.live === "1") {
    live();
  } else {
    rememberVisitorZone();
  }
  // The availability editor: spare hour rows wait behind "+ add hours".
  for (const day of document.querySelectorAll("[data-day]")) {
    const add = day.querySelector("[data-add-hours]");
    const spare = () => day.querySelector(".window[data-spare]:not(.shown)");
    if (!add || !spare()) continue;
    add.hidden = false;
    add.addEventListener("click", () => {
      const row = spare();
      if (row) {
        row.classList.add("shown");
        const input = row.querySelector("input");
        if (input) input.focus();
      }
      if (!spare()) add.hidden = true;
    });
  }
  for (const picker of document.querySelectorAll("[data-picker]")) {
    enhancePicker(picker);
  }
  for (const repeat of document.querySelectorAll("[data-series-cost]")) {
    seriesCost(repeat);
  }
});

// The booking form's repeat choice: what the series would cost, said as it is chosen
// (the summary above is the one session's; the dates come on the next page).
function seriesCost(box) {
  const every = box.querySelector("select[name=repeat]");
  const count = box.querySelector("input[name=occurrences]");
  const out = box.querySelector("#series-cost");
  if (!every || !count || !out) return;
  const cost = Number(box.dataset.seriesCost);
  const balance = Number(box.dataset.balance);
  // A program's credits go first for sessions with this mentor; the wallet pays the
  // rest.
  const program = Number(box.dataset.program) || 0;
  const walletPays = (total) => total - Math.min(program, total);
  const programUses = document.getElementById("program-uses");
  const walletLine = document.getElementById("wallet-pays");
  // The summary above says one session's cost and balance; a chosen series says the
  // series' instead (and the one session's again when the choice is undone).
  const costLine = document.getElementById("cost-line");
  const balanceLine = document.getElementById("balance-line");
  // The cancellation rule too: one session's date, or the rule of each in a series.
  const policyLine = document.getElementById("policy");
  // One session's shortfall ("10 more are needed") says nothing true of a series: the
  // line below says the series' own while one is chosen.
  const short = document.getElementById("short");
  const single = [costLine, balanceLine, policyLine, programUses, walletLine]
    .map((el) => el && el.innerHTML);
  const summary = (n, total) => {
    if (costLine && cost > 0) {
      costLine.textContent = "";
      const strong = document.createElement("strong");
      strong.textContent = `${total} credits`;
      costLine.append(strong, ` for ${n} sessions (${cost} each), each held until its ` +
        `session is over (all back if ${costLine.dataset.answers} declines)`);
    }
    if (policyLine && policyLine.dataset.series) {
      policyLine.textContent = policyLine.dataset.series;
    }
    if (short) short.hidden = true;
    const pay = walletPays(total);
    if (programUses) programUses.textContent = `${total - pay}`;
    if (walletLine) walletLine.textContent = `${pay}`;
    if (balanceLine) {
      balanceLine.textContent = pay <= balance
        ? `${balance} credits → ${balance - pay} after booking the series`
        : `${balance} credits`;
    }
  };
  const restore = () => {
    if (costLine) costLine.innerHTML = single[0];
    if (balanceLine) balanceLine.innerHTML = single[1];
    if (policyLine) policyLine.innerHTML = single[2];
    if (programUses) programUses.innerHTML = single[3];
    if (walletLine) walletLine.innerHTML = single[4];
    if (short) short.hidden = false;
  };
  const show = () => {
    const n = Math.round(Number(count.value));
    if (!every.value || !(n >= 2 && n <= 26)) {
      out.hidden = true;
      out.textContent = "";
      restore();
      return;
    }
    const total = cost * n;
    const pay = walletPays(total);
    summary(n, total);
    out.hidden = false;
    out.className = pay > balance ? "error" : "hint";
    const own = pay < total ? `; your wallet pays ${pay} of them` : "";
    out.textContent =
      cost === 0
        ? `${n} sessions, free.`
        : `${n} sessions: ${total} credits in all (${cost} each)${own}; you have ${balance}` +
          (pay > balance ? `, ${pay - balance} short.` : ".");
  };
  every.addEventListener("change", show);
  count.addEventListener("input", show);
  show();
}

// Tells the server a destructive form was confirmed in the dialog.
function markConfirmed(form) {
  if (form.querySelector("input[name=confirmed]")) return;
  const yes = document.createElement("input");
  yes.type = "hidden";
  yes.name = "confirmed";
  yes.value = "1";
  form.appendChild(yes);
}

// A visitor's zone, detected once and kept in a cookie, so that pages show their times
// (signed-in people have theirs in their profile). A slot picker drawn in another zone
// is drawn again in theirs.
function rememberVisitorZone() {
  if (document.cookie.split("; ").some((c) => c.startsWith("mh_tz="))) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_) {
    return;
  }
  if (!zone) return;
  document.cookie = `mh_tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
  const picker = document.querySelector("[data-picker]");
  const chosen = new URLSearchParams(location.search).has("tz");
  if (picker && picker.dataset.zone && picker.dataset.zone !== zone && !chosen) location.reload();
}

// The slot picker without whole-page loads: its links (services, months, days) fetch
// the same page and swap the picker in place, then move the focus to what changed.
// Any failure falls back to following the link.
function enhancePicker(root) {
  root.addEventListener("click", async (e) => {
    const a = e.target.closest("a[data-nav]");
    if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    try {
      const res = await fetch(a.href, { credentials: "same-origin" });
      if (!res.ok) throw new Error(String(res.status));
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.querySelector("[data-picker]");
      if (!next) throw new Error("no picker");
      root.innerHTML = next.innerHTML;
      history.replaceState(null, "", a.href);
      const target = root.querySelector(a.dataset.nav === "day" ? "#times" : a.dataset.nav === "month" ? "#picker-month" : ".picker-tabs [aria-current]");
      if (target) target.focus();
    } catch (_) {
      location.href = a.href;
    }
  });
}

// The article editor's live preview: the server renders and sanitises the Markdown
// (the same code that publishes it), so what you see is what readers will get.
function livePreview(area, target) {
  if (!target || !area.form) return;
  const csrf = area.form.querySelector("input[name=csrf]");
  let timer = null;
  let sent = 0;
  const render = async () => {
    const ticket = ++sent;
    const body = new URLSearchParams({ csrf: csrf ? csrf.value : "", content: area.value });
    try {
      const res = await fetch("/articles/preview", { method: "POST", body, credentials: "same-origin" });
      if (!res.ok || ticket !== sent) return;
      target.innerHTML = await res.text();
    } catch (_) {
      // Offline for a moment: the next keystroke tries again.
    }
  };
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
}

// Live updates over the event socket: the notification bell, unread chat messages,
// and the open conversation (new messages, typing).
function live() {
  const csrfField = document.querySelector("input[name=csrf]");
  const csrf = csrfField ? csrfField.value : "";
  const conversation = document.getElementById("conversation");
  const thread = conversation ? conversation.dataset.thread : null;
  const me = conversation ? conversation.dataset.me : null;
  const list = document.getElementById("messages");
  const typing = document.getElementById("typing");
  let socket = null;
  let retry = 1000;
  let typingTimer = null;

  const setBadge = (id, n) => {
    const el = document.getElementById(id);
    if (!el) return;
    const count = el.querySelector(".n") || el;
    count.textContent = n >= 1000 ? "999+" : String(n);
    el.hidden = n <= 0;
  };
  // The newest message in view: the page scrolled to its end (the composer, sticky at
  // the window's foot, would otherwise cover the last lines).
  const scrollDown = () => {
    if (!list) return;
    window.scrollTo(0, document.documentElement.scrollHeight);
  };

  // A message arriving live is drawn by the server, exactly as the page draws those it
  // loaded (sender, time, links, the message menu).
  // An edited message is drawn again as the server draws it (links, "edited").
  const replaceMessage = async (m) => {
    const old = list.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
    if (!old) return;
    try {
      const res = await fetch(`/chat/${thread}/messages/${m.id}`, { credentials: "same-origin" });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const li = doc.querySelector("li.message");
      if (li) old.replaceWith(document.importNode(li, true));
    } catch (_) {
      const text = old.querySelector(".text");
      if (text) text.textContent = m.content || "";
    }
  };

  const appendMessage = async (m) => {
    // A page of earlier messages does not end with the newest: nothing to add there.
    if (conversation && conversation.dataset.earlier) return;
    if (!list || list.querySelector(`[data-id="${CSS.escape(m.id)}"]`)) return;
    let li = null;
    try {
      const res = await fetch(`/chat/${thread}/messages/${m.id}`, { credentials: "same-origin" });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        li = doc.querySelector("li.message");
      }
    } catch (_) {
      // Drawn plainly below.
    }
    if (!li) {
      li = document.createElement("li");
      li.className = "message" + (m.sender_id === me ? " mine" : "");
      li.dataset.id = m.id;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = m.deleted ? "(deleted)" : m.content || "";
      li.appendChild(text);
    }
    if (list.querySelector(`[data-id="${CSS.escape(m.id)}"]`)) return;
    list.appendChild(document.importNode(li, true));
    scrollDown();
  };

  // A message's "⋯" menu opened near the list's end shows what it holds, not below
  // the list's visible part ("toggle" does not bubble: listened for on the way down).
  if (list) {
    list.addEventListener(
      "toggle",
      (e) => {
        const menu = e.target;
        if (menu.open && menu.closest && menu.closest(".msg-menu")) {
          menu.scrollIntoView({ block: "nearest" });
        }
      },
      true,
    );
  }

  // The list of conversations follows what is written anywhere: drawn again by the
  // server (order, previews, unread counts, a conversation new or back from the
  // archive), a burst of messages at once, keeping the keyboard's place in it.
  let listTimer = null;
  const refreshList = () => {
    if (!document.getElementById("threads")) return;
    clearTimeout(listTimer);
    listTimer = setTimeout(async () => {
      try {
        const res = await fetch(location.href, { credentials: "same-origin" });
        const old = document.getElementById("threads");
        if (!res.ok || !old) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.getElementById("threads");
        if (!fresh) return;
        const focused = document.activeElement && document.activeElement.closest
          ? document.activeElement.closest("[data-thread]")
          : null;
        old.replaceWith(document.importNode(fresh, true));
        // The unread count in the menu, as the server counts it (one's own lines
        // written in another tab are not unread).
        const badge = doc.querySelector("#chat-badge .n");
        setBadge("chat-badge", badge && !doc.getElementById("chat-badge").hidden ? parseInt(badge.textContent, 10) || 0 : 0);
        if (focused) {
          const again = document.querySelector(`#threads [data-thread="${CSS.escape(focused.dataset.thread)}"] a`);
          if (again) again.focus();
        }
      } catch (_) {
        // The list stays as it was; a reload shows the rest.
      }
    }, 250);
  };

  const markRead = () => {
    if (!thread) return;
    fetch(`/api/v1/threads/${thread}/read`, { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
  };

  const onEvent = (e) => {
    if (e.type === "notification" && typeof e.unread_count === "number") {
      setBadge("bell-count", e.unread_count);
    } else if (e.type === "message") {
      if (thread && e.message.thread_id === thread) {
        appendMessage(e.message);
        if (typing) typing.hidden = true;
        if (e.message.sender_id !== me) markRead();
      } else if (document.getElementById("threads")) {
        refreshList();
      } else if (e.message.sender_id !== me) {
        const count = document.querySelector("#chat-badge .n");
        setBadge("chat-badge", (parseInt(count ? count.textContent : "0", 10) || 0) + 1);
      }
    } else if ((e.type === "message_deleted" || e.type === "message_updated") && !list) {
      refreshList();
    } else if (e.type === "message_deleted" && list) {
      const li = list.querySelector(`[data-id="${CSS.escape(e.message_id)}"] .text`);
      if (li) li.textContent = "(deleted)";
      const menu = list.querySelector(`[data-id="${CSS.escape(e.message_id)}"] .msg-menu`);
      if (menu) menu.remove();
      // A deleted message is not "edited" any more (as the page reloaded says).
      const meta = list.querySelector(`[data-id="${CSS.escape(e.message_id)}"] .meta`);
      if (meta) meta.textContent = meta.textContent.replace(/ · edited$/, "");
    } else if (e.type === "message_updated" && list && e.message.thread_id === thread) {
      replaceMessage(e.message);
    } else if (e.type === "typing" && thread && e.thread_id === thread && typing) {
      typing.textContent = "typing…";
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => (typing.hidden = true), 3000);
    }
  };

  const connect = () => {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/ws";
    socket = new WebSocket(url);
    socket.onopen = () => (retry = 1000);
    socket.onmessage = (msg) => {
      try {
        onEvent(JSON.parse(msg.data));
      } catch (_) {
        // Ignore what we do not understand.
      }
    };
    socket.onclose = (e) => {
      // 4401: this session ended (signed out here or elsewhere): nothing to reconnect to.
      if (e.code === 4401) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  };
  connect();

  // The composer: send without reloading; typing indicators (at most every 2 s).
  if (list) {
    scrollDown();
    // Again once images and fonts have settled the page's height (on a phone the
    // first scroll can fall short, leaving the last message under the composer).
    window.addEventListener("load", scrollDown, { once: true });
  }
  const composer = document.getElementById("composer");
  if (composer && thread) {
    const box = composer.querySelector("textarea");
    const count = document.getElementById("composer-count");
    const send = composer.querySelector("button[type=submit]");
    const limit = parseInt(box.dataset.limit || "4000", 10);
    // Near the limit a counter shows; over it, sending waits (nothing is cut).
    const counted = () => {
      const n = box.value.length;
      if (count) count.textContent = n > limit - 200 ? (n > limit ? `${n - limit} too many` : `${limit - n} left`) : "";
      if (send) send.disabled = n > limit;
    };
    box.addEventListener("input", counted);
    counted();
    // Enter sends; Shift+Enter (or composing text with an input method) does not.
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (box.value.trim() && !(send && send.disabled)) composer.requestSubmit();
      }
    });
    let lastTyping = 0;
    box.addEventListener("input", () => {
      const now = Date.now();
      if (socket && socket.readyState === 1 && now - lastTyping > 2000) {
        lastTyping = now;
        socket.send(JSON.stringify({ type: "typing", thread_id: thread }));
      }
    });
    composer.addEventListener("submit", async (ev) => {
      const content = box.value.trim();
      if (!content) return;
      ev.preventDefault();
      try {
        const res = await fetch(`/api/v1/threads/${thread}/messages`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          credentials: "same-origin",
          body: JSON.stringify({ content }),
        });
        if (!res.ok) throw new Error(String(res.status));
        box.value = "";
        counted();
        await appendMessage(await res.json());
      } catch (_) {
        composer.submit(); // fall back to the plain form
      }
    });
  }
}

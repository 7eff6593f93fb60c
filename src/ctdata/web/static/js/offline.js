// Offline screening (see ctdata/web/pages/offline.py).
//
// - registers the service worker that keeps /screening for use without a connection;
// - while online, fetches this session's draft key once and keeps it in IndexedDB as a
//   non-extractable AES-GCM key, with its expiry (the session's end);
// - on the screening page without a connection, "Register case" keeps the form as a draft
//   encrypted with that key (nothing of it is stored in plain text);
// - when the connection returns (or a page opens online), sends each draft through the
//   ordinary registration form; a draft the server refuses stays, shown as a conflict,
//   and can be loaded back into the form to be corrected;
// - signing out deletes the drafts and the key (the server also clears the site's storage).
"use strict";
(function () {
  const DB = "ctdata-offline";
  const KEYS = "keys";
  const DRAFTS = "drafts";
  const form = document.getElementById("screening-form");
  // the page's words (pages/_js_words.html, in the page's language); English if the block is missing
  const WORDS = (() => {
    const el = document.getElementById("js-words");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  })();
  function say(key, english, fill) {
    let text = WORDS[key] || english;
    Object.entries(fill || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }
  function counted(key, n, english) {
    const forms = WORDS[key];
    if (!Array.isArray(forms) || !forms.length) return english;
    const last = forms.length - 1; // beyond the forms written out, the last form with the count put in
    return n <= last ? forms[n] : forms[last].split(String(last)).join(String(n));
  }

  function open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(KEYS);
        req.result.createObjectStore(DRAFTS, { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function tx(store, mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const out = work(t.objectStore(store));
      t.oncomplete = () => { db.close(); resolve(out && "result" in out ? out.result : undefined); };
      t.onerror = () => { db.close(); reject(t.error); };
    }));
  }

  const getKey = () => tx(KEYS, "readonly", (s) => s.get("draft"));
  const drafts = () => tx(DRAFTS, "readonly", (s) => s.getAll());
  const putDraft = (d) => tx(DRAFTS, "readwrite", (s) => s.put(d));
  const dropDraft = (id) => tx(DRAFTS, "readwrite", (s) => s.delete(id));

  function b64(text) {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }

  async function fetchKey() {
    const res = await fetch("/offline/key", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!res.ok) return null;
    const body = await res.json();
    const key = await crypto.subtle.importKey("raw", b64(body.key), "AES-GCM", false, ["encrypt", "decrypt"]);
    await tx(KEYS, "readwrite", (s) => s.put({ key: key, expires: Date.parse(body.expires_at) }, "draft"));
    return body.csrf;
  }

  async function liveKey() {
    const k = await getKey();
    if (!k || k.expires <= Date.now()) return null;
    return k.key;
  }

  function status(text, kind) {
    if (!form) return;
    let box = document.getElementById("offline-status");
    if (!box) {
      box = document.createElement("div");
      box.id = "offline-status";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      form.parentNode.insertBefore(box, form.parentNode.firstChild);
    }
    box.className = "msg msg-" + (kind || "info");
    box.textContent = "";
    (Array.isArray(text) ? text : [text]).forEach((t) => {
      if (typeof t === "string") { const p = document.createElement("p"); p.textContent = t; box.appendChild(p); }
      else box.appendChild(t);
    });
  }

  async function showQueue(prefix) {
    if (!form) return;
    const all = await drafts();
    const waiting = all.filter((d) => !d.conflict);
    const conflicts = all.filter((d) => d.conflict);
    const parts = [];
    if (prefix) parts.push(prefix);
    if (waiting.length) {
      parts.push(counted("waiting", waiting.length, `${waiting.length} screening${waiting.length > 1 ? "s" : ""} ` +
        "saved on this device (encrypted), to be sent when the connection returns."));
    }
    conflicts.forEach((d) => {
      const p = document.createElement("p");
      p.textContent = say("not_registered", "A screening saved offline was not registered: {reason}",
        { reason: d.conflict }) + " ";
      const b = document.createElement("button");
      b.type = "button";
      b.className = "offline-load";
      b.textContent = say("load_draft", "Load it into the form");
      b.addEventListener("click", () => loadDraft(d));
      p.appendChild(b);
      parts.push(p);
    });
    if (parts.length) status(parts, conflicts.length ? "warn" : "info");
    else { const box = document.getElementById("offline-status"); if (box) box.remove(); }
  }

  async function encrypt(key, fields) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = new TextEncoder().encode(JSON.stringify(fields));
    return { iv: iv, data: await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, data), at: Date.now() };
  }

  async function decrypt(key, draft) {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: draft.iv }, key, draft.data);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  function fieldsOf(f) {
    return Array.from(new FormData(f).entries()).filter(([k]) => k !== "csrf_token" && k !== "draft_id")
      .map(([k, v]) => [k, String(v)]);
  }

  async function loadDraft(draft) {
    const key = await liveKey();
    if (!key) { status(say("key_expired", "The key of this draft has expired: it can no longer be read."), "bad"); return; }
    const fields = await decrypt(key, draft);
    form.reset();
    form.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
    for (const [k, v] of fields) {
      form.querySelectorAll(`[name="${CSS.escape(k)}"]`).forEach((el) => {
        if (el.type === "checkbox" || el.type === "radio") { if (el.value === v) el.checked = true; }
        else el.value = v;
      });
    }
    await dropDraft(draft.id);
    await showQueue(say("draft_loaded", "The draft is in the form: correct it and register it."));
  }

  async function queue(event) {
    if (navigator.onLine) return; // online: the form is sent as usual
    event.preventDefault();
    const key = await liveKey();
    if (!key) {
      status(say("no_key", "No connection, and this device holds no valid key for drafts: sign in again while online."),
        "bad");
      return;
    }
    // the draft's own id: sent twice (an answer lost on the way), it is still one case
    const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    await putDraft(await encrypt(key, [...fieldsOf(form), ["draft_id", id]]));
    form.reset();
    form.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
    await showQueue(say("saved_offline", "Saved without a connection."));
  }

  let sending = false;
  async function send() {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      const all = (await drafts()).filter((d) => !d.conflict);
      if (!all.length) return;
      const csrf = await fetchKey();
      const key = await liveKey();
      if (!csrf || !key) return;
      let sent = 0;
      for (const d of all) {
        const body = new URLSearchParams(await decrypt(key, d));
        body.append("csrf_token", csrf);
        let res;
        try {
          res = await fetch("/screening/register", { method: "POST", body: body, credentials: "same-origin" });
        } catch (e) {
          break; // the connection went again: the rest wait
        }
        if (res.ok && /\/cases\/\d+/.test(new URL(res.url).pathname)) {
          await dropDraft(d.id);
          sent += 1;
        } else {
          const page = new DOMParser().parseFromString(await res.text(), "text/html");
          const msg = page.querySelector(".msg-bad, .msg-warn");
          d.conflict = (msg ? msg.textContent.replace(/\s+/g, " ").trim()
            : say("server_answered", "the server answered {status}", { status: res.status }));
          await putDraft(d);
        }
      }
      await showQueue(sent ? counted("sent", sent,
        `${sent} screening${sent > 1 ? "s" : ""} saved offline ${sent > 1 ? "were" : "was"} registered.`) : "");
    } finally {
      sending = false;
    }
  }

  function signOut(event) {
    const f = event.target;
    event.preventDefault();
    let done = false;
    const go = () => { if (!done) { done = true; f.submit(); } };
    try {
      const req = indexedDB.deleteDatabase(DB); // the server clears the site's storage too (Clear-Site-Data)
      req.onsuccess = go;
      req.onerror = go;
    } catch (e) {
      go();
    }
    setTimeout(go, 2000); // a connection still open elsewhere must not keep the caseworker signed in
  }

  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  document.querySelectorAll('form[action="/logout"]').forEach((f) => f.addEventListener("submit", signOut));
  if (form) {
    form.addEventListener("submit", queue);
    document.body.addEventListener("htmx:sendError", () => {
      const det = document.getElementById("determination");
      if (det) det.textContent = say("offline_outcome", "No connection: the outcome is decided when the screening is sent.");
    });
    window.addEventListener("offline", () => showQueue(say("went_offline",
      "No connection: screenings are kept on this device, encrypted.")));
  }
  window.addEventListener("online", send);
  if (navigator.onLine) {
    (async () => {
      const pending = (await drafts()).some((d) => !d.conflict);
      if (pending) await send();
      else if (!(await liveKey())) await fetchKey();
      await showQueue("");
    })().catch(() => undefined);
  }
})();

/* cookiecharter page script (docs/consent-ui.md). No dependency, no inline code needed: it reads
   its configuration from <script type="application/json" id="cookiecharter-config"> and gives the
   scripts it activates its own nonce. Loaded synchronously in <head> so that the Google Consent
   Mode default is queued before any tag; the rest waits for the document. Everything it does, the
   page also does without it (plain forms): here it only saves the reloads. */
(function (w, d) {
  "use strict";
  var me = d.currentScript, nonce = me && me.nonce,
    el = d.getElementById("cookiecharter-config");
  if (!el) return;
  var cfg = JSON.parse(el.textContent), P = cfg.purposes, opener, running, pending = [],
    TYPES = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage",
      "functionality_storage", "personalization_storage", "security_storage"],
    $ = (s, r) => (r || d).querySelector(s),
    $$ = (s, r) => [].slice.call((r || d).querySelectorAll(s));

  // The decision as the browser holds it: ID.TIME.VERSION.PURPOSES.SIG. The signature is the
  // server's business; a cookie answering another charter version is no decision.
  function read() {
    var c = d.cookie.split("; ").filter(c => c.indexOf(cfg.cookie + "=") == 0)[0],
      v = c ? c.slice(cfg.cookie.length + 1).replace(/"/g, "").split(".") : [];
    return v.length == 5 && v[2] == cfg.version
      ? { decided: true, granted: v[3] ? v[3].split("+").filter(k => P[k]) : [] }
      : { decided: false, granted: [] };
  }
  var state = read();

  // Google Consent Mode v2: everything denied until a decision; each purpose grants its types.
  w.dataLayer = w.dataLayer || [];
  var gtag = w.gtag || (w.gtag = function () { w.dataLayer.push(arguments); });
  function modes(granted) {
    var m = {};
    TYPES.forEach(t => (m[t] = "denied"));
    granted.forEach(k => P[k].modes.forEach(t => (m[t] = "granted")));
    return m;
  }
  gtag("consent", "default", Object.assign(modes([]), { wait_for_update: 500 }));
  if (state.decided) gtag("consent", "update", modes(state.granted));

  function has(k) { return state.granted.indexOf(k) >= 0; }

  // Scripts <script type="text/plain" data-cookiecharter="P" [src]>, strictly in document order:
  // each waits for the one before it to load, as the parser would have done.
  function runScripts() {
    $$('script[type="text/plain"][data-cookiecharter]:not([data-cc-q])').forEach(s => {
      if (has(s.dataset.cookiecharter)) { s.setAttribute("data-cc-q", ""); pending.push(s); }
    });
    if (!running) next();
  }
  function next() {
    var old = pending.shift(), s = d.createElement("script"), src = old && old.hasAttribute("src");
    running = !!old;
    if (!old) return;
    [].forEach.call(old.attributes, a => a.name == "type" || s.setAttribute(a.name, a.value));
    if (old.dataset.type) s.type = old.dataset.type;
    if (nonce) s.nonce = nonce;
    s.text = old.text;
    if (src) s.onload = s.onerror = next;
    old.replaceWith(s);
    if (!src) next();
  }

  // Frames <iframe data-cookiecharter="P" data-src>: load the granted ones, put a placeholder
  // (same size, so nothing moves) in front of the others, unload the ones just withdrawn.
  function frames() {
    $$("iframe[data-cookiecharter]").forEach(f => {
      var k = f.dataset.cookiecharter, ph = f.ccPlaceholder;
      if (!P[k]) return;
      if (has(k)) {
        if (f.dataset.src) { f.src = f.dataset.src; f.removeAttribute("data-src"); }
        if (ph) { ph.remove(); f.ccPlaceholder = null; f.hidden = false; }
      } else {
        if (!f.dataset.src && f.getAttribute("src")) { f.dataset.src = f.src; f.removeAttribute("src"); }
        if (ph) return;
        ph = f.ccPlaceholder = d.createElement("div");
        ph.className = "cc-ph";
        ph.style.width = f.offsetWidth ? f.offsetWidth + "px" : "";
        ph.style.height = f.offsetHeight ? f.offsetHeight + "px" : "";
        var p = d.createElement("p"), b = d.createElement("button");
        p.textContent = cfg.text.blocked.replace("%s", P[k].title);
        b.type = "button";
        b.className = "cc-btn";
        b.textContent = cfg.text.allow.replace("%s", P[k].title);
        b.onclick = () => allow(k);
        ph.append(p, b);
        f.hidden = true;
        f.before(ph);
      }
    });
  }

  // Withdrawal: expire the first-party cookies of the withdrawn purposes that this page can see,
  // on the host and each parent domain (a script cannot know which one set them) and their path.
  function purge(keys) {
    var rules = [].concat.apply([], keys.map(k => P[k].cookies)), host = location.hostname.split(".");
    d.cookie.split("; ").forEach(c => {
      var name = c.split("=")[0];
      rules.forEach(r => {
        var hit = r[0] == 0 ? name == r[1] : r[0] == 1 ? name.indexOf(r[1]) == 0 : new RegExp("^(?:" + r[1] + ")$").test(name);
        if (!hit) return;
        var doms = [""].concat(host.map((_, i) => ";domain=" + host.slice(i).join(".")));
        if (r[3]) doms.push(";domain=" + r[3]);
        doms.forEach(dom => [r[2], "/"].forEach(path => (d.cookie = name + "=;Max-Age=0;path=" + path + dom)));
      });
    });
  }

  function apply(before) {
    gtag("consent", "update", modes(state.granted));
    purge(before.filter(k => !has(k)));
    runScripts();
    frames();
    d.dispatchEvent(new CustomEvent("cookiecharter:consent", { detail: { granted: state.granted.slice() } }));
  }

  // The server answered a decision (JSON from the consent endpoint).
  function decided(r) {
    var before = state.granted, banner = $("[data-cookiecharter-banner]"), dlg = dialog();
    state = { decided: true, granted: r.granted.filter(k => P[k]) };
    if (banner) banner.remove();
    if (dlg && dlg.open) dlg.close();
    apply(before);
  }

  function post(form, button) {
    var data = new FormData(form);
    if (button && button.name) data.append(button.name, button.value);
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
    }).then(r => { if (!r.ok) throw r; return r.json(); }).then(decided).catch(() => {
      // Never lose a decision to a script problem: fall back to the plain form post.
      form.ccPlain = true;
      form.requestSubmit(button);
    });
  }

  function dialog() { return d.getElementById("cookiecharter-preferences"); }

  function sync(dlg) {
    $$("[data-cookiecharter-purpose]", dlg).forEach(c => (c.checked = has(c.value)));
  }

  function open(from) {
    var dlg = dialog();
    if (!dlg) return;
    opener = from || d.activeElement;
    sync(dlg);
    if (dlg.open) dlg.close();
    dlg.showModal();
  }

  // A blocked frame's "Allow" button: the current choice plus this purpose, as a custom choice.
  function allow(k) {
    var dlg = dialog(), form = $("form[data-cookiecharter-form]", dlg);
    sync(dlg);
    $("[data-cookiecharter-purpose=" + k + "]", dlg).checked = true;
    post(form, $('[data-cookiecharter-action="save"]', form));
  }

  function start() {
    var dlg = dialog();
    // The server shows the banner exactly when a decision is due; trust it over the cookie.
    if ($("[data-cookiecharter-banner]")) state = { decided: false, granted: [] };
    d.addEventListener("submit", e => {
      var f = e.target;
      if (f.hasAttribute("data-cookiecharter-form") && !f.ccPlain) { e.preventDefault(); post(f, e.submitter); }
      if (f.hasAttribute("data-cookiecharter-open")) { e.preventDefault(); open(e.submitter); }
    });
    d.addEventListener("click", e => {
      var a = e.target.closest && e.target.closest("a[data-cookiecharter-open]");
      if (a) { e.preventDefault(); open(a); }
    });
    if (dlg) {
      // Escape (cancel) and "Close without saving" decide nothing; focus goes back where it was.
      dlg.addEventListener("close", () => { if (opener && opener.isConnected) opener.focus(); opener = null; });
      // Opened by the server (?cookiecharter=preferences): make it the modal dialog it should be.
      if (dlg.open) open();
    }
    runScripts();
    frames();
    // Global Privacy Control: tell the server once, so that it records the refusal it implies.
    // It never grants anything; the banner still asks about everything else.
    if (cfg.gpc && navigator.globalPrivacyControl === true && !state.decided && cfg.gpcField) {
      var form = $("form[data-cookiecharter-form]"), data;
      if (form) {
        data = new FormData(form);
        data.append(cfg.gpcField, "1");
        fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") } });
      }
    }
  }

  w.cookiecharter = {
    consent: () => ({ decided: state.decided, granted: state.granted.slice() }),
    open: () => open(),
    on: fn => d.addEventListener("cookiecharter:consent", e => fn(e.detail)),
  };
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", start); else start();
})(window, document);

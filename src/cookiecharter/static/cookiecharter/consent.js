/* cookiecharter page script (docs/consent-ui.md), in <head>: the Consent Mode default precedes
   every tag. The forms work without it. */
(function (w, d) {
  "use strict";
  var me = d.currentScript, nonce = me && me.nonce, el = d.getElementById("cookiecharter-config");
  if (!el) return;
  var cfg = JSON.parse(el.textContent), P = cfg.purposes, opener, running, live, loading, queue = [],
    gpc = navigator.globalPrivacyControl === true,
    TYPES = "ad_storage ad_user_data ad_personalization analytics_storage functionality_storage personalization_storage security_storage".split(" "),
    $ = (s, r) => (r || d).querySelector(s),
    $$ = (s, r) => [...(r || d).querySelectorAll(s)];

  // ID.TIME.VERSION.PURPOSES.SIG; another version, or "!" (GPC only): no choice.
  function read() {
    var c = d.cookie.split("; ").filter(c => !c.indexOf(cfg.cookie + "="))[0],
      v = c ? c.slice(cfg.cookie.length + 1).replace(/"/g, "").split(".") : [];
    return v.length == 5 && v[2] == cfg.version && v[3] != "!"
      ? { decided: true, granted: v[3] ? v[3].split("+").filter(k => P[k]) : [] }
      : { decided: false, granted: [] };
  }
  var state = read();
  function has(k) { return state.granted.includes(k); }

  w.dataLayer = w.dataLayer || [];
  var gtag = w.gtag || (w.gtag = function () { w.dataLayer.push(arguments); });
  function modes() {
    var m = {};
    TYPES.forEach(t => (m[t] = "denied"));
    state.granted.forEach(k => P[k].modes.forEach(t => (m[t] = "granted")));
    return m;
  }
  gtag("consent", "default", Object.assign(modes(), { wait_for_update: 500 }));
  if (state.decided) gtag("consent", "update", modes());

  // <script type="text/plain" data-cookiecharter=P>: in document order, each after the last.
  function scripts() {
    $$('script[type="text/plain"][data-cookiecharter]:not([data-cc-q])').forEach(s => {
      if (has(s.dataset.cookiecharter)) { s.setAttribute("data-cc-q", ""); queue.push(s); }
    });
    if (!running) next();
  }
  function next() {
    var old = queue.shift(), s = d.createElement("script"), src = old && old.hasAttribute("src");
    if (!(running = !!old)) return;
    [...old.attributes].forEach(a => a.name == "type" || s.setAttribute(a.name, a.value));
    if (old.dataset.type) s.type = old.dataset.type;
    if (nonce) s.nonce = nonce;
    s.text = old.text;
    if (src) s.onload = s.onerror = next;
    old.replaceWith(s);
    if (!src) next();
  }

  // <iframe data-cookiecharter=P data-src>: loaded if granted, else unloaded behind a placeholder.
  function frames() {
    $$("iframe[data-cookiecharter]").forEach(f => {
      var k = f.dataset.cookiecharter, ph = f.ccPh, p, b;
      if (!P[k]) return;
      if (has(k)) {
        if (f.dataset.src) { f.src = f.dataset.src; f.removeAttribute("data-src"); }
        if (ph) { ph.remove(); f.ccPh = null; f.hidden = false; }
        return;
      }
      if (!f.dataset.src) { f.dataset.src = f.src; f.removeAttribute("src"); }
      if (ph || f.parentNode.querySelector("[data-cookiecharter-placeholder]")) return;
      ph = f.ccPh = d.createElement("div");
      ph.className = "cc-ph";
      ph.style.width = f.offsetWidth + "px";
      ph.style.height = f.offsetHeight + "px";
      p = d.createElement("p");
      p.textContent = cfg.text.blocked.replace("%s", P[k].title);
      b = d.createElement("button");
      b.className = "cc-btn";
      b.textContent = cfg.text.allow.replace("%s", P[k].title);
      b.onclick = () => allow(k);
      ph.append(p, b);
      f.hidden = true;
      f.before(ph);
    });
  }

  // {% ifconsent P live %}: <template data-cookiecharter-if=P [data-on]>, shown branch, <template
  // data-cookiecharter-else>; the other branch waits in its marker (n counts nesting).
  function blocks(r) {
    $$("[data-cookiecharter-if]", r).forEach(a => {
      var k = a.dataset.cookiecharterIf, on = has(k), b = a.nextSibling, n = 1, shown = [], c;
      if (!P[k] || on == a.hasAttribute("data-on")) return;
      for (; b && (n += b.nodeType == 1 && b.hasAttribute("data-cookiecharter-if") - b.hasAttribute("data-cookiecharter-else")); b = b.nextSibling) shown.push(b);
      if (!b) return;
      c = (on ? a : b).content;
      (on ? b : a).content.append(...shown);  // a frame put away unloads
      blocks(c);
      b.before(c);
      a.toggleAttribute("data-on", on);
    });
  }

  // Withdrawal: expire visible cookies of withdrawn purposes (host, parent domains, declared path).
  function purge(keys) {
    var rules = keys.flatMap(k => P[k].cookies), h = location.hostname.split(".");
    d.cookie.split("; ").forEach(c => {
      var n = c.split("=")[0];
      rules.forEach(r => { try {
        if (r[0] ? r[0] > 1 ? !RegExp("^(?:" + r[1] + ")$").test(n) : n.indexOf(r[1]) : n != r[1]) return;
        [""].concat(h.map((_, i) => ";domain=" + h.slice(i).join(".")), r[3] ? ";domain=" + r[3] : [])
          .forEach(m => [r[2], "/"].forEach(p => (d.cookie = n + "=;Max-Age=0;path=" + p + m)));
      } catch (e) {} });
    });
  }

  function decided(r) {
    var before = state.granted, banner = $("[data-cookiecharter-banner]"), g = dialog();
    state = { decided: true, granted: r.granted.filter(k => P[k]) };
    if (banner) banner.remove();
    if (g && g.open) g.close();
    if (live) live.textContent = cfg.text.saved;  // for screen readers too
    gtag("consent", "update", modes());
    purge(before.filter(k => !has(k)));
    blocks();
    scripts();
    frames();
    d.dispatchEvent(new CustomEvent("cookiecharter:consent", { detail: { granted: [...state.granted] } }));
  }

  function post(form, button) {
    var data = new FormData(form), banner = $("[data-cookiecharter-banner]");
    if (banner) banner.hidden = true;  // at once: the page moves with the click
    if (button && button.name) data.append(button.name, button.value);
    // An Allow form holds the choice its page was made with: post the current one plus its purpose.
    if (button && button.dataset.cookiecharterAction == "allow") {
      data.delete("purpose");
      state.granted.concat(button.value).forEach(k => data.append("purpose", k));
    }
    if (gpc) data.append("gpc", "1");  // a script cannot send Sec-GPC itself
    fetch(form.action, {
      method: "POST", body: data,
      headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
    }).then(r => {
      // Not recorded, so not in force: say why, in the banner; no second post.
      if (r.status == 503) return r.json().then(e => { if (banner) banner.hidden = false; alert(form, e.error); });
      if (!r.ok) throw r;
      return r.json().then(decided);
    }).catch(() => {
      form.ccPlain = true;  // never lose a choice: post the plain form
      form.requestSubmit(button);
    });
  }

  function alert(form, text) {
    var at = form.closest(".cc-actions") || form, p = at.previousElementSibling;
    if (!p || p.role != "alert") { p = d.createElement("p"); p.role = "alert"; at.before(p); }
    p.textContent = text;
  }

  function dialog() { return d.getElementById("cookiecharter-preferences"); }
  function sync(g) { $$("[data-cookiecharter-purpose]", g).forEach(c => (c.checked = has(c.value))); }

  // The dialog is in the page if the server opened it; else fetched once, or failing that the
  // page is asked for with it open.
  function withDialog(then) {
    var g = dialog(), l = location;
    if (g) return then(g);
    loading = loading || fetch(cfg.preferences + "?next=" + encodeURIComponent(l.pathname + l.search))
      .then(r => { if (!r.ok) throw r; return r.text(); })
      .then(t => { d.body.insertAdjacentHTML("beforeend", t); return dialog() || Promise.reject(); });
    loading.then(then, () => { loading = null; l.search += (l.search ? "&" : "?") + "cookiecharter=preferences"; });
  }

  function open(from) {
    opener = from || d.activeElement;
    withDialog(g => {
      sync(g);
      g.removeAttribute("open");  // opened by the server: reopen it modal
      g.showModal();
    });
  }

  // A placeholder's button: the current choice plus this purpose.
  function allow(k) {
    withDialog(g => {
      var form = $("form[data-cookiecharter-form]", g);
      sync(g);
      $('[data-cookiecharter-purpose="' + k + '"]', g).checked = true;
      post(form, $('[data-cookiecharter-action="save"]', form));
    });
  }

  function start() {
    var g = dialog();
    // A status region must exist before its message.
    d.body.append(live = Object.assign(d.createElement("p"), { role: "status", className: "cc-sr" }));
    if ($("[data-cookiecharter-banner]")) state = { decided: false, granted: [] };  // the server knows best
    d.addEventListener("submit", e => {
      var f = e.target;
      if (f.hasAttribute("data-cookiecharter-form") && !f.ccPlain) { e.preventDefault(); post(f, e.submitter); }
      if (f.hasAttribute("data-cookiecharter-open")) { e.preventDefault(); open(e.submitter); }
    });
    d.addEventListener("click", e => {
      var a = e.target.closest("a[data-cookiecharter-open]");
      if (a) { e.preventDefault(); open(a); }
    });
    // Closing chooses nothing; focus goes back to the opener.
    d.addEventListener("close", e => {
      if (e.target.id == "cookiecharter-preferences" && opener && opener.isConnected) opener.focus();
    }, true);
    if (g && g.open) open();  // ?cookiecharter=preferences
    blocks();
    scripts();
    frames();
  }

  w.cookiecharter = {
    consent: () => ({ decided: state.decided, granted: [...state.granted], gpc: gpc }),
    open: () => open(),
    on: fn => d.addEventListener("cookiecharter:consent", e => fn(e.detail)),
  };
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", start); else start();
})(window, document);

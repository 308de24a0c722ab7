// The portal's own audience measurement (purpose "statistics" in demo/charter.toml).
// The page includes this file as <script type="text/plain" data-cookiecharter="statistics">, so it
// never runs until the visitor consents and the consent script activates it.
// It keeps a random visitor id in `portal_audience` for 13 months from the first visit (never
// extended, as the CNIL asks of audience cookies) and counts one page view: only the path is sent,
// to the portal itself; the id stays in the browser.
(function () {
  "use strict";

  var NAME = "portal_audience";
  var THIRTEEN_MONTHS = 13 * 2629800; // seconds; a month is a twelfth of a Julian year

  function readCookie(name) {
    var prefix = name + "=";
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(prefix) === 0) return decodeURIComponent(parts[i].slice(prefix.length));
    }
    return "";
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  if (!readCookie(NAME)) {
    document.cookie = NAME + "=" + randomId() + "; Max-Age=" + THIRTEEN_MONTHS + "; Path=/; SameSite=Lax";
  }

  fetch("/stats/hit", {
    method: "POST",
    credentials: "same-origin",
    keepalive: true,
    headers: { "Content-Type": "application/json", "X-CSRFToken": readCookie("csrftoken") },
    body: JSON.stringify({ path: location.pathname })
  }).catch(function () {
    // Counting is best effort: a lost hit must never disturb the page.
  });
})();

// Usercentrics renders its banner inside an open shadow root attached to #usercentrics-root.
(function () {
  var host = document.getElementById("usercentrics-root");
  if (!host) return;  // already decided: cmp.js removed it
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    '<div role="dialog"><p>Wir verwenden Cookies.</p>' +
    '<button data-testid="uc-more-button">Einstellungen</button>' +
    '<button data-testid="uc-deny-all-button" data-fixture-choice="refuse">Ablehnen</button>' +
    '<button data-testid="uc-accept-all-button" data-fixture-choice="accept">Alle akzeptieren</button></div>';
  window.fixtureWire(root);
})();

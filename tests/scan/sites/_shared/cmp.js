// A stand-in consent manager for the fixture sites. Any element with data-fixture-choice records
// the choice in a cookie; "accept" also writes an advertising cookie (_fbp), as a real manager
// would once its tags may run. The banner is whatever carries data-fixture-banner (or, inside an
// iframe, the iframe itself); it goes away once a choice exists.
(function () {
  function choice() {
    var m = document.cookie.match(/(?:^|; )fixture_consent=([^;]*)/);
    return m && m[1];
  }
  function apply() {
    if (choice() === "accept") document.cookie = "_fbp=fb.1.1700000000.42; max-age=7776000; path=/";
  }
  function hide() {
    var banner = document.querySelector("[data-fixture-banner]");
    if (banner) banner.remove();
    if (window.frameElement && choice()) window.frameElement.remove();
  }
  function decide(value) {
    document.cookie = "fixture_consent=" + value + "; max-age=15552000; path=/";
    apply();
    hide();
  }
  function wire(root) {
    root.querySelectorAll("[data-fixture-choice]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        event.preventDefault();
        decide(el.getAttribute("data-fixture-choice"));
      });
    });
    root.querySelectorAll("[data-fixture-reveal]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        event.preventDefault();
        var layer = root.querySelector(el.getAttribute("data-fixture-reveal"));
        if (layer) layer.hidden = false;
      });
    });
  }
  window.fixtureWire = wire;
  apply();
  if (choice()) hide();
  else wire(document);
})();

// The benchmark page's consent logic: the choice in a cookie, an advertising cookie once accepted.
(function () {
  function choice() {
    var m = document.cookie.match(/(?:^|; )bench_consent=([^;]*)/);
    return m && m[1];
  }
  function apply() {
    if (choice() === "accept") document.cookie = "_fbp=fb.1.1700000000.42; max-age=7776000; path=/";
  }
  document.cookie = "_ga=GA1.1.1234567890.1700000000; max-age=63072000; path=/";
  apply();
  var banner = document.querySelector("[data-bench-banner]");
  if (choice() && banner) banner.remove();
  document.querySelectorAll("[data-bench-choice]").forEach(function (el) {
    el.addEventListener("click", function () {
      document.cookie = "bench_consent=" + el.getAttribute("data-bench-choice") + "; max-age=15552000; path=/";
      apply();
      if (banner) banner.remove();
    });
  });
})();

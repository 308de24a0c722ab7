// Cookies written only after the load event, each by a kind of scheduled work the scanner's
// settle must wait for, with gaps longer than its calm period (so "nothing happened for a while"
// alone would stop watching too early):
// - a chain of four timeouts 400 ms apart (the cookie comes 1.6 s after the script);
// - an interval that writes on its sixth tick (300 ms apart), then stops;
// - an idle callback and an animation frame, each scheduling a timeout of 1.5 s;
// - a timeout that is cleared (its cookie must never exist) and one due after the settle's cap.
// The page also checks that the wrapped functions still behave: extra arguments reach the
// callback and the ids can be cleared by either clear function.
setTimeout(function (a, b) {
  var left = 4;
  (function next() {
    left -= 1;
    if (left === 0) document.cookie = "chained_" + a + b + "=1; max-age=3600; path=/";
    else setTimeout(next, 400);
  })();
}, 400, "x", "y");
var ticks = 0;
var interval = setInterval(function () {
  ticks += 1;
  if (ticks === 6) {
    document.cookie = "interval_cookie=1; max-age=3600; path=/";
    clearInterval(interval);
  }
}, 300);
requestIdleCallback(function () {
  setTimeout(function () { document.cookie = "idle_cookie=1; max-age=3600; path=/"; }, 1500);
});
requestAnimationFrame(function () {
  setTimeout(function () { document.cookie = "frame_cookie=1; max-age=3600; path=/"; }, 1500);
});
var cleared = setTimeout(function () { document.cookie = "cleared_cookie=1; path=/"; }, 100);
clearInterval(cleared);
setTimeout(function () { document.cookie = "too_late_cookie=1; path=/"; }, 60000);
document.getElementById("status").textContent = "scheduled";

// The portal's own page script: the "★ Favourite" button on dataset pages.
// It calls the JSON API with the CSRF token read from the csrftoken cookie, which is the reason
// the portal sets that cookie (a strictly necessary, security cookie).
(function () {
  "use strict";

  function cookie(name) {
    var prefix = name + "=";
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(prefix) === 0) return decodeURIComponent(parts[i].slice(prefix.length));
    }
    return "";
  }

  function setUp(button) {
    var status = document.querySelector("[data-favourite-status]");
    var star = button.querySelector(".favourite-star");
    button.addEventListener("click", function () {
      var wanted = button.getAttribute("aria-pressed") !== "true";
      button.disabled = true;
      fetch(button.getAttribute("data-favourite-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": cookie("csrftoken")
        },
        body: JSON.stringify({ favourite: wanted })
      })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          button.setAttribute("aria-pressed", data.favourite ? "true" : "false");
          if (star) star.textContent = data.favourite ? "★" : "☆";
          if (status) status.textContent = button.getAttribute(data.favourite ? "data-added" : "data-removed");
        })
        .catch(function () {
          if (status) status.textContent = button.getAttribute("data-failed");
        })
        .then(function () {
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll("[data-favourite-url]").forEach(setUp);
})();

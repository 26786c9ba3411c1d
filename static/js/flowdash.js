// flowdash: the little JavaScript the pages need beyond htmx.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = localStorage.getItem("flowdash-theme");
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.getAttribute("data-theme") && matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      localStorage.setItem("flowdash-theme", next);
    }
    var menu = event.target.closest("[data-menu-toggle]");
    if (menu) document.querySelector(".shell").classList.toggle("menu-open");
  });

  // Forms that destroy something ask first: <form data-confirm="Delete X?">.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();

// Polls marked data-poll-visible-only skip their turn while the tab is hidden (an hx-trigger
// filter would need eval, which the Content-Security-Policy forbids).
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail && event.detail.elt;
  if (elt && elt.hasAttribute && elt.hasAttribute("data-poll-visible-only") &&
      document.visibilityState !== "visible") {
    event.preventDefault();
  }
});

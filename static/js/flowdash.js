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
    if (menu) {
      var open = document.querySelector(".shell").classList.toggle("menu-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = document.querySelector("#main-nav a");
        if (first) first.focus();
      }
    }
  });

  // Forms that destroy something ask first: <form data-confirm="Delete X?">.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // Phones read each table row as a card: every cell carries its column's name
  // (data-label, shown by the stylesheet under 640 px). Done again after each htmx swap.
  function labelTables(scope) {
    var tables = (scope || document).querySelectorAll("table.table");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) return;
      var names = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
      Array.prototype.forEach.call(table.querySelectorAll("tbody > tr"), function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && names[column] !== undefined) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }
  function ready() { labelTables(document); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:afterSettle", function () { labelTables(document); });

  // "/" puts the cursor in the page's search box (or the gallery's), unless typing already.
  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var box = document.querySelector("main input[type=search]");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (document.querySelector("[data-search-url]")) {
      event.preventDefault();
      window.location.href = document.querySelector("[data-search-url]").getAttribute("data-search-url");
    }
  });
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

// Charts: one tab stop per chart; the arrow keys (and Home / End) walk its points, each
// showing its value as it gets the focus, as hovering does with a pointer.
(function () {
  "use strict";

  function points(chart) { return Array.prototype.slice.call(chart.querySelectorAll(".pt")); }

  function prepare(scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll("[data-chart-points]"), function (chart) {
      var all = points(chart);
      if (!all.length || all.some(function (p) { return p.getAttribute("tabindex") === "0"; })) return;
      all[0].setAttribute("tabindex", "0");
    });
  }

  document.addEventListener("keydown", function (event) {
    var point = event.target.closest && event.target.closest(".pt");
    if (!point) return;
    var chart = point.closest("[data-chart-points]");
    var all = points(chart);
    var at = all.indexOf(point);
    var next = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
      Home: 0, End: all.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    next = Math.max(0, Math.min(all.length - 1, next));
    all.forEach(function (p) { p.setAttribute("tabindex", "-1"); });
    all[next].setAttribute("tabindex", "0");
    all[next].focus();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  else prepare(document);
  document.addEventListener("htmx:afterSettle", function (event) { prepare(event.target); });
})();

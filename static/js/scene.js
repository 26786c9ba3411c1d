// Scene builder: drag-and-drop ordering (HTML5 drag events, no library), ↑/↓ buttons for the
// keyboard, and a live count and running time. The order of the rows is the order of the film;
// each row's hidden position_<pk> input is renumbered so the server sees the same order.
(function () {
  "use strict";

  function init() {
    var list = document.getElementById("scene-list");
    if (!list) return;
    var dragged = null;
    list.classList.add("js-dnd"); // ordering by drag and drop: the typed "Order" boxes hide

    function rows() { return Array.prototype.slice.call(list.querySelectorAll(".pp-clip")); }

    function number(input) {
      var value = parseFloat(String(input.value || "0").replace(",", "."));
      return isFinite(value) ? value : 0;
    }

    function refresh() {
      var count = 0, total = 0;
      rows().forEach(function (row, index) {
        row.querySelector("[data-position]").value = String(index + 1);
        var box = row.querySelector('input[name="clip"]');
        row.classList.toggle("is-chosen", box.checked);
        if (box.checked) {
          count += 1;
          var seconds = parseFloat(row.getAttribute("data-seconds")) || 8;
          var trims = row.querySelectorAll(".pp-trims input");
          total += Math.max(0, seconds - number(trims[0]) - number(trims[1]));
        }
      });
      var c = document.getElementById("scene-count");
      var t = document.getElementById("scene-total");
      if (c) c.textContent = String(count);
      if (t) t.textContent = total.toFixed(1);
    }

    function clearMarks() {
      rows().forEach(function (row) { row.classList.remove("drop-before", "drop-after"); });
    }

    function after(row, event) {
      var box = row.getBoundingClientRect();
      return event.clientY > box.top + box.height / 2;
    }

    list.addEventListener("dragstart", function (event) {
      var row = event.target.closest && event.target.closest(".pp-clip");
      if (!row) return;
      dragged = row;
      row.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      try { event.dataTransfer.setData("text/plain", row.getAttribute("data-clip")); } catch (e) { /* old browsers */ }
    });

    list.addEventListener("dragover", function (event) {
      var row = event.target.closest && event.target.closest(".pp-clip");
      if (!dragged || !row || row === dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      clearMarks();
      row.classList.add(after(row, event) ? "drop-after" : "drop-before");
    });

    list.addEventListener("drop", function (event) {
      var row = event.target.closest && event.target.closest(".pp-clip");
      if (!dragged || !row || row === dragged) return;
      event.preventDefault();
      if (after(row, event)) row.after(dragged); else row.before(dragged);
      clearMarks();
      refresh();
    });

    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      dragged = null;
      clearMarks();
      refresh();
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-move]");
      if (!button) return;
      var row = button.closest(".pp-clip");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        row.previousElementSibling.before(row);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        row.nextElementSibling.after(row);
      }
      button.focus();
      refresh();
    });

    list.addEventListener("change", refresh);
    list.addEventListener("input", refresh);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

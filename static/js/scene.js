// Scene builder: clips join in the order they are ticked (each new pick goes to the end of the
// chosen clips at the top); drag-and-drop (HTML5 drag events, no library) and ↑/↓ buttons
// reorder them; once one is ticked, clips of another account or aspect ratio are greyed out
// with the reason; a preview plays the chosen clips in order with their trims; a live count and
// running time. Each row's position_<pk> input is renumbered so the server sees the same order.
(function () {
  "use strict";

  function init() {
    var list = document.getElementById("scene-list");
    if (!list) return;
    var dragged = null;
    list.classList.add("js-dnd"); // ordering by drag and drop: the typed "Order" boxes hide

    function rows() { return Array.prototype.slice.call(list.querySelectorAll(".pp-clip")); }
    function box(row) { return row.querySelector('input[name="clip"]'); }
    function chosen() { return rows().filter(function (row) { return box(row).checked; }); }

    function number(input) {
      var value = parseFloat(String(input.value || "0").replace(",", "."));
      return isFinite(value) ? value : 0;
    }

    function trims(row) {
      var inputs = row.querySelectorAll(".pp-trims input");
      return { start: number(inputs[0]), end: number(inputs[1]) };
    }

    // The first chosen clip sets the account and the aspect ratio every other clip must share.
    function markCompatible() {
      var picked = chosen();
      var first = picked[0];
      rows().forEach(function (row) {
        var why = "";
        if (first && !box(row).checked) {
          if (row.getAttribute("data-account") !== first.getAttribute("data-account")) {
            why = "Another Google account (" + row.getAttribute("data-account-name") +
              "): the chosen clips are on " + first.getAttribute("data-account-name") + ".";
          } else if (row.getAttribute("data-aspect") !== first.getAttribute("data-aspect")) {
            why = "Another aspect ratio (" + row.getAttribute("data-aspect-name") +
              "): the chosen clips are " + first.getAttribute("data-aspect-name") + ".";
          }
        }
        var note = row.querySelector("[data-why]");
        row.classList.toggle("is-incompatible", !!why);
        box(row).disabled = !!why;
        if (note) {
          note.textContent = why;
          note.hidden = !why;
        }
      });
    }

    function refresh() {
      var count = 0, total = 0;
      rows().forEach(function (row, index) {
        row.querySelector("[data-position]").value = String(index + 1);
        var checked = box(row).checked;
        row.classList.toggle("is-chosen", checked);
        if (checked) {
          count += 1;
          var seconds = parseFloat(row.getAttribute("data-seconds")) || 8;
          var t = trims(row);
          total += Math.max(0, seconds - t.start - t.end);
        }
      });
      markCompatible();
      var c = document.getElementById("scene-count");
      var t = document.getElementById("scene-total");
      if (c) c.textContent = String(count);
      if (t) t.textContent = total.toFixed(1);
      var preview = document.getElementById("scene-preview");
      if (preview) preview.hidden = false;
    }

    // A newly ticked clip goes after the clips already chosen; an unticked one leaves them.
    function placeAfterPick(row) {
      var others = chosen().filter(function (r) { return r !== row; });
      var anchor = others[others.length - 1];
      if (box(row).checked) {
        if (anchor) anchor.after(row); else list.prepend(row);
      } else if (anchor) {
        anchor.after(row);
      }
    }

    function clearMarks() {
      rows().forEach(function (row) { row.classList.remove("drop-before", "drop-after"); });
    }

    function after(row, event) {
      var rect = row.getBoundingClientRect();
      return event.clientY > rect.top + rect.height / 2;
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

    list.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches('input[name="clip"]')) {
        var row = event.target.closest(".pp-clip");
        placeAfterPick(row);
        event.target.focus();
      }
      refresh();
    });
    list.addEventListener("input", refresh);

    // On arrival, clips already ticked (sent from the gallery, or a form sent back with an
    // error) stand at the top in their order.
    var picked = chosen();
    for (var i = picked.length - 1; i >= 0; i -= 1) list.prepend(picked[i]);
    refresh();
    initPreview(chosen, trims);
  }

  // The preview: one <video> that plays each chosen clip from its trimmed start to its trimmed
  // end, then the next, in the order of the list.
  function initPreview(chosen, trims) {
    var button = document.querySelector("[data-preview-play]");
    var video = document.getElementById("scene-preview-video");
    var status = document.getElementById("scene-preview-status");
    if (!button || !video || !status) return;
    var queue = [], index = -1, end = 0;

    function say(text) { status.textContent = text; }

    function stop(text) {
      video.pause();
      index = -1;
      button.textContent = "Play the chosen clips";
      if (text) say(text);
    }

    function playNext() {
      index += 1;
      if (index >= queue.length) {
        stop("The preview played " + queue.length + " clip" + (queue.length === 1 ? "" : "s") + ".");
        video.setAttribute("data-preview-done", "1");
        return;
      }
      var clip = queue[index];
      end = clip.end;
      video.setAttribute("data-playing-clip", clip.pk);
      say("Clip " + (index + 1) + " of " + queue.length + ": video " + clip.pk +
        " from " + clip.start.toFixed(1) + " s to " + clip.end.toFixed(1) + " s");
      video.src = clip.src;
      video.addEventListener("loadedmetadata", function once() {
        video.removeEventListener("loadedmetadata", once);
        if (isFinite(video.duration)) end = Math.min(clip.end, video.duration);
        try { video.currentTime = clip.start; } catch (e) { /* not seekable: from 0 */ }
        var played = video.play();
        if (played && played.catch) played.catch(function () { stop("The browser would not play this clip."); });
      });
      video.load();
    }

    video.addEventListener("timeupdate", function () {
      if (index >= 0 && video.currentTime >= end - 0.05) playNext();
    });
    video.addEventListener("ended", function () { if (index >= 0) playNext(); });
    video.addEventListener("error", function () {
      if (index >= 0) stop("Clip " + (index + 1) + " could not be loaded.");
    });

    button.addEventListener("click", function () {
      if (index >= 0) { stop("Preview stopped."); return; }
      queue = chosen().filter(function (row) { return row.getAttribute("data-file"); })
        .map(function (row) {
          var t = trims(row);
          var seconds = parseFloat(row.getAttribute("data-seconds")) || 8;
          return {
            pk: row.getAttribute("data-clip"),
            src: row.getAttribute("data-file"),
            start: Math.max(0, t.start),
            end: Math.max(t.start, seconds - t.end),
          };
        });
      if (!queue.length) { say("Tick at least one clip with a stored file to preview."); return; }
      video.removeAttribute("data-preview-done");
      button.textContent = "Stop the preview";
      playNext();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// Gallery: video previews on hover, copy prompt, tidy filter URLs.
(function () {
  "use strict";

  // Videos play a muted preview while the pointer rests on their card.
  document.addEventListener("mouseover", function (event) {
    var thumb = event.target.closest && event.target.closest("[data-preview]");
    if (!thumb || thumb.querySelector("video")) return;
    var video = document.createElement("video");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = "auto";
    video.src = thumb.getAttribute("data-preview");
    thumb.appendChild(video);
    var played = video.play();
    if (played && played.catch) played.catch(function () {});
  });
  document.addEventListener("mouseout", function (event) {
    var thumb = event.target.closest && event.target.closest("[data-preview]");
    if (!thumb || thumb.contains(event.relatedTarget)) return;
    var video = thumb.querySelector("video");
    if (video) { video.pause(); video.removeAttribute("src"); video.load(); video.remove(); }
  });

  // Phones: the filter menus fold away behind a "Filters" button.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-filters-toggle]");
    if (!toggle) return;
    var row = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = row.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Copy prompt.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  });
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    area.remove();
  }

  // Filter requests leave empty fields out, so shared links stay short.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.target.closest || !event.target.closest(".g-filters")) return;
    var params = event.detail.parameters;
    var drop = [];
    params.forEach(function (value, key) {
      if (value === "" || (key === "scope" && value === "everyone")) drop.push(key);
    });
    drop.forEach(function (key) { params.delete(key); });
  });

  // One item: j / → for the older item, k / ← for the newer one (in the grid's current view).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || tag === "video" ||
        (target && target.isContentEditable)) return;
    var step = { j: "next", ArrowRight: "next", k: "prev", ArrowLeft: "prev" }[event.key];
    if (!step) return;
    var link = document.querySelector('[data-steps] a[data-step="' + step + '"]');
    if (!link) return;
    event.preventDefault();
    window.location.href = link.href;
  });

  // "/" from another page opens the gallery at #search: the cursor goes to the search box.
  function focusSearch() {
    var box = document.getElementById("g-q");
    if (box && window.location.hash === "#search") box.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusSearch);
  else focusSearch();
})();

// Selecting several items: checkboxes (shift-click selects a range), select-all on the page,
// "x" toggles the focused card, Esc clears; the bar shows the count. Without JavaScript the
// checkboxes and the bar's buttons still post the same form.
(function () {
  "use strict";
  var lastPicked = null;

  function bar() { return document.querySelector("[data-selection]"); }
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("[data-pick]")); }

  function refresh() {
    var form = bar();
    if (!form) return;
    var all = picks();
    var chosen = all.filter(function (box) { return box.checked; });
    all.forEach(function (box) {
      var card = box.closest(".g-card");
      if (card) card.classList.toggle("is-selected", box.checked);
    });
    var count = form.querySelector("[data-count]");
    if (count) {
      count.textContent = chosen.length === 0
        ? "Nothing selected (x toggles the focused item, shift-click selects a range)."
        : chosen.length + (chosen.length === 1 ? " item selected" : " items selected") + " (Esc clears).";
    }
    form.classList.toggle("is-empty", chosen.length === 0);
    var selectAll = form.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.checked = all.length > 0 && chosen.length === all.length;
      selectAll.indeterminate = chosen.length > 0 && chosen.length < all.length;
    }
    var compare = form.querySelector("[data-compare]");
    if (compare) compare.disabled = chosen.length < 2 || chosen.length > 4;
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("[data-pick]");
    if (!box) return;
    if (event.shiftKey && lastPicked && lastPicked !== box && document.contains(lastPicked)) {
      var all = picks();
      var from = all.indexOf(lastPicked), to = all.indexOf(box);
      if (from > -1 && to > -1) {
        var low = Math.min(from, to), high = Math.max(from, to);
        for (var i = low; i <= high; i++) all[i].checked = box.checked;
      }
    }
    lastPicked = box;
    refresh();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      var on = event.target.checked;
      picks().forEach(function (box) { box.checked = on; });
      lastPicked = null;
    }
    if (event.target.matches && event.target.matches("[data-pick], [data-select-all]")) refresh();
  });

  function clearAll() {
    picks().forEach(function (box) { box.checked = false; });
    lastPicked = null;
    refresh();
  }

  document.addEventListener("keydown", function (event) {
    if (!bar() || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (event.key === "Escape") {
      if (tag === "input" && target.type !== "checkbox") return;
      if (picks().some(function (box) { return box.checked; })) { event.preventDefault(); clearAll(); }
      return;
    }
    if (event.key !== "x" && event.key !== "X") return;
    if (tag === "textarea" || tag === "select" || (target && target.isContentEditable)) return;
    if (tag === "input" && target.type !== "checkbox") return;
    var card = target && target.closest ? target.closest(".g-card") : null;
    var box = card ? card.querySelector("[data-pick]") : null;
    if (!box) return;
    event.preventDefault();
    box.checked = !box.checked;
    lastPicked = box;
    refresh();
  });

  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || !submitter.hasAttribute("data-confirm")) return;
    if (!window.confirm(submitter.getAttribute("data-confirm"))) event.preventDefault();
  });

  // After the grid changes (filters, "Load more") the count follows.
  document.addEventListener("htmx:afterSwap", refresh);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
  else refresh();
})();

// Compare: every video plays, pauses and seeks together, driven by one scrubber.
(function () {
  "use strict";
  function setup() {
    var controls = document.querySelector("[data-sync-controls]");
    if (!controls) return;
    var videos = Array.prototype.slice.call(document.querySelectorAll("[data-sync-video]"));
    var play = controls.querySelector("[data-sync-play]");
    var scrub = controls.querySelector("[data-sync-scrub]");
    var shown = controls.querySelector("[data-sync-time]");
    var scrubbing = false;
    function longest() {
      return videos.reduce(function (most, v) {
        return isFinite(v.duration) && v.duration > most ? v.duration : most;
      }, 0);
    }
    function seek(seconds) {
      videos.forEach(function (v) {
        var end = isFinite(v.duration) ? v.duration : seconds;
        v.currentTime = Math.min(seconds, end);
      });
      shown.textContent = seconds.toFixed(1) + " s";
    }
    play.addEventListener("click", function () {
      var playing = play.getAttribute("aria-pressed") === "true";
      if (playing) {
        videos.forEach(function (v) { v.pause(); });
      } else {
        var at = videos.length ? videos[0].currentTime : 0;
        if (videos.every(function (v) { return v.ended; })) at = 0;
        seek(at);
        videos.forEach(function (v) { var p = v.play(); if (p && p.catch) p.catch(function () {}); });
      }
      play.setAttribute("aria-pressed", playing ? "false" : "true");
      play.textContent = playing ? "Play all" : "Pause all";
    });
    scrub.addEventListener("input", function () {
      scrubbing = true;
      var total = longest();
      if (total) seek(total * scrub.value / 1000);
    });
    scrub.addEventListener("change", function () { scrubbing = false; });
    if (videos.length) {
      videos[0].addEventListener("timeupdate", function () {
        var total = longest();
        if (!total || scrubbing) return;
        var at = videos[0].currentTime;
        scrub.value = Math.round(at / total * 1000);
        shown.textContent = at.toFixed(1) + " s";
        // Keep the others within a tenth of a second of the first.
        videos.slice(1).forEach(function (v) {
          if (!v.paused && Math.abs(v.currentTime - at) > 0.1 && at < v.duration) v.currentTime = at;
        });
      });
      videos.forEach(function (v) {
        v.addEventListener("ended", function () {
          if (videos.every(function (w) { return w.ended || w.paused; })) {
            play.setAttribute("aria-pressed", "false");
            play.textContent = "Play all";
          }
        });
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();

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

// Studio and Assets pages: tabs, video modes, reference counters, drag-and-drop uploads.
// Everything here is a convenience; the forms work without it and the server checks all.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function each(selector, root, fn) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // --- tabs ----------------------------------------------------------------------------------
  function showTab(name) {
    each("[data-tab]", document, function (tab) {
      tab.setAttribute("aria-selected", tab.getAttribute("data-tab") === name ? "true" : "false");
    });
    each("[data-panel]", document, function (panel) {
      panel.hidden = panel.getAttribute("data-panel") !== name;
    });
    var url = new URL(window.location.href);
    url.searchParams.set("tab", name);
    window.history.replaceState(null, "", url);
  }
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tab]");
    if (!tab) return;
    event.preventDefault();
    showTab(tab.getAttribute("data-tab"));
  });

  // --- image form: reference counter and the API's auto model choice --------------------------
  // The API's pick for 0, 1, … 10 references, written by the server from the catalog.
  function autoModel(form, count) {
    var hint = form.querySelector("[data-auto-model]");
    var picks = ((hint && hint.getAttribute("data-auto-models")) || "").split(" ").filter(Boolean);
    if (!picks.length) return "";
    return picks[Math.min(count, picks.length - 1)];
  }
  function updateImage(form) {
    var select = form.querySelector("[data-image-model]");
    var picked = form.querySelectorAll("input[name=references]:checked").length;
    var option = select.options[select.selectedIndex];
    var limit = parseInt(option.getAttribute("data-limit"), 10);
    var counter = form.querySelector("[data-ref-counter]");
    counter.textContent = picked + " of " + limit + " picked";
    counter.classList.toggle("over", picked > limit);
    var hint = form.querySelector("[data-auto-model]");
    if (!select.value) {
      if (!hint.getAttribute("data-rule")) hint.setAttribute("data-rule", hint.textContent);
      hint.textContent = "With " + picked + " reference" + (picked === 1 ? "" : "s") +
        " the API uses " + autoModel(form, picked) + ". " + hint.getAttribute("data-rule");
    } else {
      hint.textContent = select.value + " takes up to " + limit + " reference images.";
    }
  }

  // --- video form: the cost line ("this will spend N credits") --------------------------------
  // Credits per generation come from the server (data-credits on each model option: the
  // catalog and the accounts' creditCost, "" = Auto); here only times the count.
  function updateCost(form) {
    var line = form.querySelector("[data-cost-line]");
    var select = form.querySelector("[data-video-model]");
    if (!line || !select || select.selectedIndex < 0) return;
    var option = select.options[select.selectedIndex];
    var table = {}, prices = {};
    try { table = JSON.parse(option.getAttribute("data-credits") || "{}"); } catch (e) { table = {}; }
    try { prices = JSON.parse(option.getAttribute("data-prices") || "{}"); } catch (e) { prices = {}; }
    var account = form.querySelector("select[name=account]");
    var key = account && account.value && (account.value in table) ? account.value : "";
    var each = table[key];
    // By length, resolution and V2V when the model's price depends on them (the server's table).
    var duration = form.querySelector("select[name=duration]");
    var resolution = form.querySelector("select[name=resolution]");
    var mode = form.querySelector("input[name=mode]:checked");
    var cell = (duration && !duration.disabled ? duration.value : "") + "|" +
      (resolution && !resolution.disabled ? resolution.value : "") + "|" +
      (mode && mode.value === "v2v" ? "1" : "0");
    var byCell = prices[key] || prices[""] || {};
    if (cell in byCell) each = byCell[cell];
    var count = parseInt((form.querySelector("input[name=count]") || {}).value, 10) || 1;
    var text, total = null;
    if (each === null || each === undefined) {
      text = "The credit cost of this model is not known.";
    } else {
      total = each * count;
      text = total ? "This will spend " + total + " credits." : "This will spend no credits.";
    }
    var left = line.getAttribute("data-left");
    if (left !== null && left !== "") {
      text += " You have " + left + " left today.";
      if (total !== null && total > parseInt(left, 10)) text += " That is over your daily limit: it would be refused.";
    }
    line.textContent = text;
  }

  // --- video form: what the chosen model offers (the catalog's, as data attributes) -----------
  function words(option, name) {
    return ((option && option.getAttribute("data-" + name)) || "").split(" ").filter(Boolean);
  }
  function limitChoices(select, allowed, keepEmpty) {
    if (!select) return;
    var any = false;
    Array.prototype.forEach.call(select.options, function (opt) {
      var ok = (keepEmpty && opt.value === "") || allowed.indexOf(opt.value) >= 0;
      opt.hidden = !ok;
      opt.disabled = !ok;
      if (ok && opt.value !== "") any = true;
    });
    if (select.selectedIndex >= 0 && select.options[select.selectedIndex].disabled) select.value = "";
    var field = select.closest(".field");
    if (field) { field.hidden = !any; field.style.display = any ? "" : "none"; }
    select.disabled = !any;
  }
  function updateModelFields(form, option, mode) {
    if (!option) return;
    var key = mode === "frames" ? "durations-frames" : mode === "references" ? "durations-references" : "durations";
    limitChoices(form.querySelector("select[name=duration]"), mode === "v2v" ? [] : words(option, key), true);
    limitChoices(form.querySelector("select[name=resolution]"), words(option, "resolutions"), true);
    var aspects = words(option, "aspects");
    if (aspects.length) limitChoices(form.querySelector("select[name=aspect_ratio]"), aspects, false);
    var v2v = form.querySelector("[data-mode-option=v2v]");
    if (v2v) {
      var can = option.getAttribute("data-v2v") === "1";
      v2v.hidden = !can;
      var radio = v2v.querySelector("input");
      if (!can && radio.checked) form.querySelector("input[name=mode][value=text]").checked = true;
    }
  }

  // --- video form: modes and reference limits ------------------------------------------------
  function updateVideo(form) {
    var select0 = form.querySelector("[data-video-model]");
    var checked0 = form.querySelector("input[name=mode]:checked");
    updateModelFields(form, select0.options[select0.selectedIndex], checked0 ? checked0.value : "text");
    updateCost(form);
    var checked = form.querySelector("input[name=mode]:checked");
    var mode = checked ? checked.value : "text";
    each("[data-mode-panel]", form, function (panel) {
      var active = panel.getAttribute("data-mode-panel") === mode;
      if (active) panel.removeAttribute("data-inactive");
      else panel.setAttribute("data-inactive", "");
      // Inputs of other modes are not sent: a start frame never travels with references.
      each("input", panel, function (input) { input.disabled = !active; });
    });
    var select = form.querySelector("[data-video-model]");
    var option = select.options[select.selectedIndex];
    var limit = option ? parseInt(option.getAttribute("data-limit"), 10) : 3;
    var counter = form.querySelector("[data-ref-counter]");
    var picked = form.querySelectorAll("[data-mode-panel=references] input:checked").length;
    counter.textContent = limit === 0 ? "this model takes no references" : picked + " of " + limit + " picked";
    counter.classList.toggle("over", picked > limit);
    var v2vCounter = form.querySelector("[data-v2v-counter]");
    if (v2vCounter && option) {
      var v2vLimit = parseInt(option.getAttribute("data-v2v-limit") || "0", 10);
      var v2vPicked = form.querySelectorAll("[data-mode-panel=v2v] input[type=checkbox]:checked").length;
      v2vCounter.textContent = v2vPicked + " of " + v2vLimit + " picked";
      v2vCounter.classList.toggle("over", v2vPicked > v2vLimit);
    }
  }

  // --- pickers: references keep the order they were picked in (reference_1, _2, …) ----------
  function initPicker(picker) {
    if (picker.getAttribute("data-pick-type") !== "checkbox") return;
    var order = (picker.getAttribute("data-order") || "").split(" ").filter(Boolean);
    function boxes() { return picker.querySelectorAll("input[type=checkbox]"); }
    each("input[type=checkbox]:checked", picker, function (box) {
      if (order.indexOf(box.value) < 0) order.push(box.value);
    });
    function paint() {
      each("input[type=checkbox]", picker, function (box) {
        var badge = box.parentNode.querySelector(".pick-order");
        var at = order.indexOf(box.value);
        if (badge) badge.textContent = box.checked && at >= 0 ? String(at + 1) : "";
      });
    }
    picker.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox") return;
      order = order.filter(function (v) { return v !== box.value; });
      if (box.checked) order.push(box.value);
      paint();
    });
    picker.closest("form").addEventListener("submit", function () {
      // Send the picks in picking order: hidden inputs replace the boxes' own values.
      var live = Array.prototype.filter.call(boxes(), function (b) { return b.checked && !b.disabled; });
      if (!live.length) return;
      var name = live[0].name;
      live.forEach(function (b) { b.removeAttribute("name"); b.setAttribute("data-name", name); });
      order.forEach(function (value) {
        if (!live.some(function (b) { return b.value === value; })) return;
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = name;
        hidden.value = value;
        hidden.setAttribute("data-ordered", "");
        picker.appendChild(hidden);
      });
    });
    paint();
  }
  // Back from the browser's page cache after a submit: give the boxes their names back.
  window.addEventListener("pageshow", function () {
    each("[data-ordered]", document, function (h) { h.remove(); });
    each("input[data-name]", document, function (b) { b.name = b.getAttribute("data-name"); });
  });

  // --- pickers by keyboard: one tab stop per picker, arrow keys inside (roving tabindex) -------
  function initRoving(picker) {
    function items() {
      return Array.prototype.filter.call(picker.querySelectorAll("input"), function (i) {
        return !i.disabled;
      });
    }
    function settle(current) {
      var list = items();
      if (!list.length) return;
      var keep = current && list.indexOf(current) >= 0 ? current : null;
      if (!keep) keep = list.filter(function (i) { return i.checked; })[0] || list[0];
      list.forEach(function (i) { i.tabIndex = i === keep ? 0 : -1; });
    }
    picker.addEventListener("keydown", function (event) {
      var list = items();
      var at = list.indexOf(event.target);
      if (at < 0) return;
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") next = list[(at + 1) % list.length];
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = list[(at - 1 + list.length) % list.length];
      else if (event.key === "Home") next = list[0];
      else if (event.key === "End") next = list[list.length - 1];
      if (!next) return;
      event.preventDefault(); // radios would otherwise pick as they move: Space picks
      settle(next);
      next.focus();
    });
    picker.addEventListener("focusin", function (event) { settle(event.target); });
    settle(null);
  }

  // --- Ctrl/Cmd+Enter sends the form being written in -----------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest(".studio-form");
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  function init() {
    each("[data-picker]", document, initPicker);
    each("[data-picker]", document, initRoving);
    var imageForm = document.querySelector("[data-image-form]");
    if (imageForm) {
      updateImage(imageForm);
      imageForm.addEventListener("change", function () { updateImage(imageForm); });
    }
    var videoForm = document.querySelector("[data-video-form]");
    if (videoForm) {
      updateVideo(videoForm);
      videoForm.addEventListener("change", function () { updateVideo(videoForm); });
      videoForm.addEventListener("input", function () { updateCost(videoForm); });
    }
    each("[data-dropzone]", document, initDropzone);
  }

  // --- assets: drop files or pick them --------------------------------------------------------
  function initDropzone(form) {
    var area = form.querySelector("[data-dropzone-area]");
    var input = form.querySelector("input[type=file]");
    var names = form.querySelector("[data-dropzone-names]");
    function show() {
      var list = Array.prototype.map.call(input.files, function (f) { return f.name; });
      names.textContent = list.length ? list.length + " chosen: " + list.join(", ") : "";
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (type) {
      area.addEventListener(type, function (event) {
        event.preventDefault();
        area.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      area.addEventListener(type, function (event) {
        event.preventDefault();
        area.classList.remove("dragging");
      });
    });
    area.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      show();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// A little progressive enhancement; every page works without it.
(function () {
  "use strict";

  // Errors: move focus to the summary so screen readers and keyboard users start there.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // A busy message on the build button, which takes a few seconds.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.textContent = form.getAttribute("data-busy");
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });

  // Follow-up questions appear (and go) as soon as an answer brings them into play, without a page load.
  var form = document.querySelector("form[data-applies-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var live = form.querySelector("[data-live]");
  var pending = 0;

  function setShown(container, shown) {
    var wasShown = !container.hidden;
    container.hidden = !shown;
    Array.prototype.forEach.call(container.querySelectorAll("input, select, textarea"), function (input) {
      input.disabled = !shown;
    });
    return shown && !wasShown;
  }

  function refresh() {
    var request = ++pending;
    fetch(form.getAttribute("data-applies-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data || request !== pending) { return; }
      var applies = {};
      data.applies.forEach(function (id) { applies[id] = true; });
      var added = 0;
      Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (container) {
        if (setShown(container, !!applies[container.getAttribute("data-question")])) { added += 1; }
      });
      // What each answer puts in the policy, worded afresh for the answers now on the page.
      Object.keys(data.previews || {}).forEach(function (id) {
        var container = form.querySelector('[data-question="' + id + '"]');
        if (!container) { return; }
        var old = container.querySelector("details[data-preview]");
        var holder = document.createElement("div");
        holder.innerHTML = data.previews[id];
        var fresh = holder.querySelector("details[data-preview]");
        if (old && fresh) {
          // Only the words change: the summary the person may have focused (or opened) stays where it is.
          var oldText = old.querySelector(".details-text");
          var freshText = fresh.querySelector(".details-text");
          if (oldText && freshText && oldText.innerHTML !== freshText.innerHTML) {
            oldText.innerHTML = freshText.innerHTML;
          }
        } else if (old && !old.contains(document.activeElement)) {
          old.parentNode.removeChild(old);
        } else if (fresh) {
          var guidance = container.querySelector("details:not([data-preview])");
          container.insertBefore(fresh, guidance);
        }
      });
      if (live && added) {
        live.textContent = added + (added === 1 ? " more question has" : " more questions have") + " appeared below.";
      }
    }).catch(function () { /* the server re-asks any new question when the form is sent */ });
  }

  form.addEventListener("change", function (event) {
    // Choices at once; a typed answer when the person leaves the field (change fires then).
    if (event.target && event.target.type !== "file") { refresh(); }
  });
})();

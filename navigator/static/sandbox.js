// Sandbox enhancements: results update in place while you type or move a slider.
// Every form also works without this file, as an ordinary POST.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // Sliders show their number beside them.
  function rangeValues(root) {
    root.querySelectorAll('input[type="range"]').forEach(function (input) {
      var next = input.nextElementSibling;
      if (next && next.classList.contains("range-value")) return;
      var out = document.createElement("output");
      out.className = "range-value";
      out.htmlFor = input.id;
      out.value = input.value;
      input.after(out);
      input.addEventListener("input", function () { out.value = input.value; });
    });
  }

  // Values the server chose (the text so far, a new seed) go back into fields not being edited.
  function syncValues(form, fresh) {
    Array.prototype.forEach.call(fresh.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") return;
      var mine = form.elements.namedItem(el.name);
      if (mine && mine.value !== undefined && mine !== document.activeElement &&
          mine.value !== el.value) {
        mine.value = el.value;
      }
    });
  }

  function bind(form) {
    var busy = false;
    var again = null;

    function send(submitter) {
      if (busy) { again = submitter || again || true; return; }
      busy = true;
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("form[data-live]");
          if (fresh && fresh.querySelector(".error-summary")) {
            var copy = document.importNode(fresh, true);
            form.replaceWith(copy);
            start(copy);
            return;
          }
          ["results", "crisis"].forEach(function (id) {
            var now = document.getElementById(id);
            var next = doc.getElementById(id);
            if (now && next) now.replaceWith(document.importNode(next, true));
          });
          if (fresh) syncValues(form, fresh);
          if (submitter && document.activeElement === document.body) {
            var results = document.getElementById("results");
            if (results) { results.tabIndex = -1; results.focus(); }
          }
        })
        .catch(function () {
          // Let the server answer in full, e.g. with its "too many attempts" page.
          form.submit();
        })
        .finally(function () {
          busy = false;
          if (again) {
            var pending = again === true ? null : again;
            again = null;
            send(pending);
          }
        });
    }

    var later = debounce(function () { send(null); }, 350);
    var mode = form.getAttribute("data-live");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(event.submitter || null);
    });
    form.addEventListener("input", function (event) {
      if (event.target.type === "range" || mode === "input") later();
    });
    form.addEventListener("change", function (event) {
      if (mode === "change" && event.target.type !== "range") later();
    });
  }

  function start(form) {
    rangeValues(form);
    bind(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-live]").forEach(start);
  });
})();

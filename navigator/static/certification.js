// Certificate export: the progress updates in place instead of the whole page reloading.
// Without this file the page refreshes itself (a meta refresh inside <noscript>).
(function () {
  "use strict";
  var status = document.getElementById("export-state");
  if (!status || !status.dataset.poll || !window.fetch) return;
  var every = Number(status.dataset.poll) || 2000;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("export-state");
        if (!fresh) {
          window.location.reload();  // signed out, or an error page: let the server say
          return;
        }
        if (fresh.innerHTML !== status.innerHTML) status.innerHTML = fresh.innerHTML;
        if (fresh.dataset.poll) {
          setTimeout(poll, every);
        } else {
          var note = document.getElementById("export-note");
          if (note) note.remove();
        }
      })
      .catch(function () { setTimeout(poll, every * 3); });
  }

  setTimeout(poll, every);
})();

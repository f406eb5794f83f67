// Offline, the page's side: registers the service worker (sw.js), saves and removes modules,
// shows what waits to be sent and what was sent, asks for sending on every page and when the
// browser is back online, and clears the device at sign-out. Without this file, or in a browser
// without service workers, nothing here happens and every page works online as before.
// Every text shown comes from the page (data-* attributes), in the navigator's language.
(function () {
  "use strict";
  var status = document.getElementById("offline-status");
  if (!status || !("serviceWorker" in navigator) || !window.caches || !window.indexedDB ||
      !window.NavigatorStore) {
    return;
  }
  var store = window.NavigatorStore;
  var lang = document.documentElement.lang || "en";
  var offlineCopy = document.documentElement.hasAttribute("data-offline");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? values[name] : all;
    });
  }

  function size(bytes) {
    var mega = bytes >= 1024 * 1024;
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: mega ? "megabyte" : "kilobyte",
        maximumFractionDigits: mega ? 1 : 0 }).format(bytes / (mega ? 1024 * 1024 : 1024));
    } catch (e) {
      return Math.round(bytes / 1024) + " KB";
    }
  }

  function when(time) {
    try {
      return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" })
        .format(new Date(time));
    } catch (e) {
      return new Date(time).toLocaleString();
    }
  }

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  // --- the service worker, and asking it to send --------------------------------------------------

  var ready = navigator.serviceWorker.register(status.dataset.sw, { scope: status.dataset.scope })
    .then(function () { return navigator.serviceWorker.ready; });

  function sync() {
    return ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "sync" });
    }).catch(function () {});
  }

  var justSent = [];
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "outbox") show();
  });
  // "Online" is the browser's guess: the first request may still fail, so ask again shortly.
  window.addEventListener("online", function () {
    sync();
    setTimeout(sync, 3000);
    setTimeout(sync, 10000);
  });
  var retry = null;  // while something waits and the page stays open, ask every half minute
  store.put("meta", { key: "user", value: status.dataset.user })
    .then(function () { return store.all("sent"); })
    .then(function (sent) {
      justSent = sent.map(function (item) { return item.key; });
      return show();
    })
    .then(function () { if (navigator.onLine) sync(); })
    .catch(function () {});

  // --- the line under the header: what waits, what was just sent ---------------------------------

  function show() {
    return Promise.all([store.all("outbox"), store.all("sent"), store.all("modules")])
      .then(function (found) {
        var outbox = found[0], sent = found[1], modules = found[2];
        var waiting = outbox.filter(function (item) { return item.state === "waiting"; });
        var attention = outbox.filter(function (item) { return item.state === "conflict"; });
        var fresh = sent.filter(function (item) { return justSent.indexOf(item.key) < 0; });
        if (waiting.length && !retry) retry = setInterval(function () { if (navigator.onLine) sync(); }, 30000);
        if (!waiting.length && retry) { clearInterval(retry); retry = null; }
        status.textContent = "";
        var parts = [];
        if (waiting.length) parts.push(fill(status.dataset.waiting, { n: waiting.length }));
        if (attention.length) parts.push(fill(status.dataset.attention, { n: attention.length }));
        if (fresh.length) {
          parts.push(fill(status.dataset.sent, { titles: fresh.map(function (i) { return i.title; }).join(", ") }));
        }
        if (parts.length) status.appendChild(document.createTextNode(parts.join(" · ") + " · "));
        if (parts.length || modules.length) {
          status.appendChild(element("a", status.dataset.link, { href: status.dataset.page }));
          status.hidden = false;
        } else {
          status.hidden = true;
        }
        drawPage(outbox, sent, modules);
        guardForms(outbox);
      });
  }

  // --- signing out: nothing personal stays on the device -----------------------------------------

  document.querySelectorAll("form[action$='/sign-out']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      store.all("outbox").then(function (outbox) {
        if (outbox.length && !window.confirm(fill(status.dataset.signOut, { n: outbox.length }))) return;
        return clearDevice().then(function () { form.submit(); });
      }, function () { form.submit(); });
    });
  });

  function clearDevice() {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("navigator-") === 0; })
        .map(function (name) { return caches.delete(name); }));
    }).then(function () { return store.clearAll(); }).catch(function () {});
  }

  // --- saving a module ---------------------------------------------------------------------------

  var section = document.querySelector("[data-offline-module]");
  if (section) {
    var saveButton = section.querySelector("[data-action=save]");
    var removeButton = section.querySelector("[data-action=remove]");
    var line = section.querySelector("[data-status]");
    var key = section.dataset.key;
    section.hidden = false;

    var showSaved = function (saved) {
      removeButton.hidden = !saved;
      if (saved) {
        saveButton.textContent = section.dataset.saveAgain;
        var language = saved.locale;
        try {
          language = new Intl.DisplayNames([lang], { type: "language" }).of(saved.locale.replace("_", "-"));
        } catch (e) { /* an older browser: the language's code */ }
        line.textContent = fill(section.dataset.saved, { size: size(saved.bytes), language: language }) +
          (saved.pending ? " " + section.dataset.voicesPending : "");
      }
    };
    store.get("modules", key).then(showSaved);
    if (offlineCopy) saveButton.disabled = true;

    saveButton.addEventListener("click", function () {
      saveButton.disabled = true;
      saveModule(section.dataset.offlineModule, function (done, total) {
        line.textContent = fill(section.dataset.saving, { done: done, total: total });
      }).then(function (saved) {
        showSaved(saved);
        return show();
      }, function () {
        line.textContent = section.dataset.failed;
      }).then(function () { saveButton.disabled = false; });
    });
    removeButton.addEventListener("click", function () {
      removeModule(key).then(function () {
        removeButton.hidden = true;
        line.textContent = section.dataset.removed;
        return show();
      });
    });
  }

  function keepCopy(cache, url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok || response.redirected) throw new Error(url + ": " + response.status);
      return response.clone().blob().then(function (blob) {
        return cache.put(url, response).then(function () { return blob.size; });
      });
    });
  }

  function saveModule(listUrl, progress) {
    return fetch(listUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (list) {
        var name = store.MODULE + list.key;
        var total = list.module.length + list.shared.length, done = 0, bytes = 0;
        var step = function (added) { bytes += added || 0; progress(++done, total); };
        return caches.delete(name).then(function () {
          return Promise.all([caches.open(name), caches.open(store.SHARED)]);
        }).then(function (opened) {
          // One after another: a phone on a weak connection is not asked for everything at once.
          var chain = Promise.resolve();
          list.module.forEach(function (url) {
            chain = chain.then(function () { return keepCopy(opened[0], url).then(step); });
          });
          list.shared.forEach(function (url) {
            chain = chain.then(function () { return keepCopy(opened[1], url).then(function () { step(0); }); });
          });
          return chain;
        }).then(function () {
          var saved = { key: list.key, title: list.title, course: list.course, locale: list.locale,
                        page: list.page, bytes: bytes, savedAt: Date.now(),
                        pending: list.narrations_pending > 0 };
          return store.put("modules", saved).then(function () { return saved; });
        }, function (error) {
          return caches.delete(name).then(function () { throw error; });  // no half a module
        });
      });
  }

  function removeModule(key) {
    return caches.delete(store.MODULE + key).then(function () {
      return store.remove("modules", key);
    }).then(function () {
      return store.all("modules");
    }).then(function (left) {
      if (!left.length) return caches.delete(store.SHARED);
    });
  }

  // --- forms on a saved copy: the quiz answered once, a new key for each outreach session --------

  function guardForms(outbox) {
    return store.all("meta").then(function (meta) {
      var used = {};
      meta.forEach(function (m) { used[m.key.replace(/^used:/, "")] = true; });
      outbox.forEach(function (item) { used[item.key] = true; });
      var attempt = document.querySelector("form.quiz input[name=attempt_key]");
      if (attempt && used["quiz:" + attempt.value]) {
        var answered = document.querySelector("[data-offline-answered]");
        if (answered) answered.hidden = false;
        attempt.form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }
      var submission = document.querySelector("input[name=submission_key]");
      if (submission && used["outreach:" + submission.value]) submission.value = newKey();
    });
  }

  function newKey() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  if (offlineCopy) {
    // A saved outreach form was filled in on the day it was saved: today is likelier.
    var day = document.querySelector("input[name=held_on]");
    if (day && day.type === "date") {
      var now = new Date();
      day.value = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    }
    // Unanswered questions are only found by the server: say so before keeping the answers.
    var quiz = document.querySelector("form.quiz");
    if (quiz) {
      quiz.addEventListener("submit", function (event) {
        var blank = Array.prototype.some.call(quiz.querySelectorAll("fieldset"), function (set) {
          return !set.querySelector("input:checked");
        });
        if (blank) {
          event.preventDefault();
          var incomplete = document.querySelector("[data-offline-incomplete]");
          if (incomplete) { incomplete.hidden = false; incomplete.scrollIntoView(); }
        }
      });
    }
  }

  // --- the page of what this device keeps --------------------------------------------------------

  var page = document.getElementById("offline-page");
  if (page) {
    var kept = new URLSearchParams(window.location.search).get("kept");
    page.querySelector("[data-action=sync]").addEventListener("click", sync);
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then(function (estimate) {
        page.querySelector("[data-usage-line]").textContent =
          fill(page.dataset.usage, { size: size(estimate.usage || 0) });
      });
    }
  }

  function list(name, items, draw) {
    var ul = page.querySelector("[data-list=" + name + "]");
    var empty = page.querySelector("[data-empty=" + name + "]");
    ul.textContent = "";
    items.forEach(function (item) { ul.appendChild(draw(item)); });
    if (empty) empty.hidden = items.length > 0;
    return ul;
  }

  function drawPage(outbox, sent, modules) {
    if (!page) return;
    outbox.sort(function (a, b) { return a.keptAt - b.keptAt; });
    var waiting = outbox.filter(function (item) { return item.state === "waiting"; });
    var attention = outbox.filter(function (item) { return item.state === "conflict"; });
    var keptItem = outbox.find(function (item) { return item.key === kept; });
    var keptNote = page.querySelector("[data-kept-note]");
    keptNote.hidden = !keptItem;
    if (keptItem) keptNote.textContent = fill(page.dataset.kept, { title: keptItem.title });
    page.querySelector("[data-action=sync]").hidden = !waiting.length;

    list("modules", modules, function (saved) {
      var li = element("li");
      var title = element("p");
      title.appendChild(element("a", saved.title, { href: saved.page }));
      li.appendChild(title);
      li.appendChild(element("p", fill(page.dataset.module, {
        course: saved.course, size: size(saved.bytes), date: when(saved.savedAt) }), { class: "small" }));
      var remove = element("button", page.dataset.remove, { type: "button", class: "button danger" });
      remove.addEventListener("click", function () { removeModule(saved.key).then(show); });
      li.appendChild(remove);
      return li;
    });
    list("waiting", waiting, function (item) {
      var li = element("li");
      li.appendChild(element("p", item.title, { class: "item-title" }));
      var said = fill(page.dataset.queued, { date: when(item.keptAt) });
      var why = item.note && page.dataset["note" + item.note.charAt(0).toUpperCase() + item.note.slice(1)];
      li.appendChild(element("p", why ? said + ". " + why : said, { class: "small" }));
      return li;
    });
    page.querySelector("[data-section=attention]").hidden = !attention.length;
    list("attention", attention, function (item) {
      var li = element("li");
      li.appendChild(element("p", item.title, { class: "item-title" }));
      var why = item.note === "changed"
        ? page.dataset[item.kind === "quiz" ? "changedQuiz" : "changedOutreach"] : page.dataset.refused;
      li.appendChild(element("p", why, { class: "bad" }));
      var actions = element("p");
      if (item.note === "changed" && item.kind === "quiz") {
        actions.appendChild(element("a", page.dataset.retake, { href: item.url, class: "button" }));
      } else if (item.note !== "changed") {
        var review = element("button", page.dataset.review, { type: "button", class: "button primary" });
        review.addEventListener("click", function () { openForm(item); });
        actions.appendChild(review);
      }
      var discard = element("button", page.dataset.discard, { type: "button", class: "button danger" });
      discard.addEventListener("click", function () { store.remove("outbox", item.key).then(show); });
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(discard);
      li.appendChild(actions);
      return li;
    });
    sent.sort(function (a, b) { return b.sentAt - a.sentAt; });
    list("sent", sent, function (item) {
      var li = element("li");
      li.appendChild(element("p", item.title, { class: "item-title" }));
      var line = element("p", fill(page.dataset.sentOn, { date: when(item.sentAt) }) + " ", { class: "small" });
      if (item.result) {
        line.appendChild(element("a", page.dataset[item.kind === "quiz" ? "seeResult" : "seeSession"],
                                 { href: item.result }));
      }
      li.appendChild(line);
      return li;
    });
  }

  // A refused form, sent again as the page's own: the server shows it with what it needs.
  function openForm(item) {
    var token = document.querySelector("input[name=csrf_token]");
    var form = element("form", "", { method: "post", action: item.url, hidden: "" });
    item.fields.forEach(function (pair) {
      var input = element("input", "", { type: "hidden", name: pair[0] });
      input.value = pair[0] === "csrf_token" && token ? token.value : pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }
})();

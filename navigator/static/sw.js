// Navigator's service worker: saved modules open without a connection, and the quiz and the
// outreach form, sent without one, are kept on this device and sent when it returns.
//
// - Pages, pictures, narrations and the stylesheet come from the network first; only when the
//   network fails do they come from a saved copy, marked so the page shows an "offline" notice.
// - A module quiz or a new outreach session that cannot be sent is kept (its fields, with the
//   key the server already uses to record a form once) and the browser is shown what waits.
// - sync() sends what waits, with a fresh form token, to whoever kept it; each answer of the
//   server is read: recorded (moved to "sent"), refused or changed (shown, never dropped),
//   or not reached (kept, tried again on the next page or when the browser is back online).
// - Results are graded by the server; the answer key never reaches this device.
"use strict";

importScripts("static/offline-store.js");

var store = NavigatorStore;
var SCOPE = new URL(self.registration.scope);
var OFFLINE_PAGE = new URL("offline/", SCOPE).href;
var STATE = new URL("offline/state", SCOPE).href;
var SENT_KEPT = 30;  // how many sent forms the device remembers

// Forms kept when they cannot be sent: paths under the scope, the path a recorded form leads
// to, and the field holding the key that makes a second sending harmless.
var FORMS = [
  { kind: "quiz", path: /^learn\/[^/]+\/modules\/[^/]+\/quiz$/,
    done: /^learn\/[^/]+\/results\/[^/]+$/, key: "attempt_key" },
  { kind: "outreach", path: /^outreach\/new$/, done: /^outreach\/\d+$/, key: "submission_key" },
];
// What may come from a saved copy when the network fails (PDFs and exports never do).
var KEEPABLE = /^(learn\/|outreach\/|offline\/|static\/|$)/;
var NEVER = /\/print$|\.csv$|\.zip$|\.pdf$/;

function relative(url) {
  var u = new URL(url);
  return u.origin === SCOPE.origin ? u.pathname.slice(SCOPE.pathname.length) : null;
}

function formOf(url) {
  var rel = relative(url);
  return rel === null ? null : FORMS.find(function (f) { return f.path.test(rel); }) || null;
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var rel = relative(request.url);
  if (rel === null) return;
  if (request.method === "POST") {
    var form = formOf(request.url);
    if (form && request.mode === "navigate") event.respondWith(sendOrKeep(event, form));
    return;  // every other form goes to the network as if we were not here
  }
  if (request.method !== "GET" || !KEEPABLE.test(rel) || NEVER.test(rel)) return;
  event.respondWith(networkFirst(event));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "sync") event.waitUntil(sync());
});

// --- reading: the network first, a saved copy when there is none ------------------------------

function savedCopy(url) {
  // The page of what the device keeps is one page, whatever its query (?kept=...) says.
  var options = { ignoreVary: true, ignoreSearch: relative(url) === "offline/" };
  return caches.match(url, options);
}

function networkFirst(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected && response.status === 200) {
      event.waitUntil(refresh(request.url, response.clone()));
    }
    return response;
  }, function (error) {
    return savedCopy(request.url).then(function (saved) {
      if (saved) return request.mode === "navigate" ? marked(saved, "saved") : saved;
      if (request.mode !== "navigate") throw error;
      return savedCopy(OFFLINE_PAGE).then(function (page) {
        if (!page) throw error;
        return marked(page, "missing");
      });
    });
  });
}

// A page seen online replaces its saved copy, so a saved module stays as fresh as its last visit.
function refresh(url, response) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(isOurs).map(function (name) {
      return caches.open(name).then(function (cache) {
        return cache.match(url, { ignoreVary: true }).then(function (old) {
          if (old) return cache.put(url, response.clone());
        });
      });
    }));
  }).catch(function () {});
}

function isOurs(name) {
  return name === store.SHARED || name.indexOf(store.MODULE) === 0;
}

// The saved page, marked so its stylesheet shows the offline notice (data-offline on <html>).
function marked(response, how) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    headers.delete("Content-Encoding");
    return new Response(html.replace("<html ", '<html data-offline="' + how + '" '),
                        { status: 200, headers: headers });
  });
}

// --- sending: at once when possible, else kept -------------------------------------------------

function fieldsOf(request) {
  return request.formData().then(function (data) {
    var fields = [];
    data.forEach(function (value, name) { if (typeof value === "string") fields.push([name, value]); });
    return fields;
  });
}

function keyOf(fields, form) {
  var found = fields.find(function (pair) { return pair[0] === form.key; });
  return found ? found[1] : "";
}

function sendOrKeep(event, form) {
  var request = event.request;
  var copy = request.clone();
  return fetch(request).then(function (response) {
    // A redirect means the server recorded it (a refused form comes back as a page).
    if (response.type === "opaqueredirect") {
      event.waitUntil(fieldsOf(copy).then(function (fields) {
        return recorded(form, request.url, keyOf(fields, form), null);
      }).catch(function () {}));
    }
    return response;
  }, function () {
    return fieldsOf(copy).then(function (fields) {
      return keep(form, request.url, fields, request.referrer);
    }).then(function (item) {
      notify();
      return Response.redirect(OFFLINE_PAGE + "?kept=" + encodeURIComponent(item.key), 303);
    });
  });
}

function titleOf(url) {
  return savedCopy(url).then(function (page) {
    return page ? page.text() : "";
  }).then(function (html) {
    var match = /<title>([^<]*)<\/title>/.exec(html);
    if (!match) return "";
    var text = match[1].replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
      .replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'");
    return text.replace(/\s*·\s*Navigator\s*$/, "").trim();
  }).catch(function () { return ""; });
}

function keep(form, url, fields, page) {
  var key = keyOf(fields, form);
  // The title of the page the form was on (the saved copy of it, while offline).
  var title = titleOf(page || url).then(function (found) { return found || titleOf(url); });
  return Promise.all([title, store.get("meta", "user")]).then(function (found) {
    var title = found[0];
    if (form.kind === "outreach") {
      var day = fields.find(function (pair) { return pair[0] === "held_on"; });
      if (day && day[1]) title = (title ? title + " · " : "") + day[1];
    }
    var item = { key: form.kind + ":" + key, kind: form.kind, url: url, fields: fields,
                 formKey: key, user: found[1] ? found[1].value : null, title: title,
                 keptAt: Date.now(), state: "waiting", note: "", tries: 0 };
    return store.put("outbox", item).then(function () { return item; });
  });
}

// A form the server recorded: out of the outbox (if it was there), into "sent", and the saved
// copy of its page fetched again, so the next offline answer carries a new key.
function recorded(form, url, formKey, resultUrl) {
  var key = form.kind + ":" + formKey;
  return store.get("outbox", key).then(function (item) {
    var done = [store.put("meta", { key: "used:" + key, value: Date.now() })];
    if (item) {
      done.push(store.remove("outbox", key));
      done.push(store.put("sent", { key: key, kind: form.kind, title: item.title,
                                    sentAt: Date.now(), result: resultUrl || "" }));
    }
    return Promise.all(done);
  }).then(function () {
    return trimSent();
  }).then(function () {
    return refetchSaved(url);
  }).then(notify);
}

function trimSent() {
  var old = Date.now() - 90 * 24 * 3600 * 1000;  // keys of forms sent long ago: forgotten
  return Promise.all([store.all("sent"), store.all("meta")]).then(function (found) {
    var items = found[0];
    items.sort(function (a, b) { return b.sentAt - a.sentAt; });
    return Promise.all(items.slice(SENT_KEPT).map(function (item) {
      return store.remove("sent", item.key);
    }).concat(found[1].filter(function (m) {
      return m.key.indexOf("used:") === 0 && m.value < old;
    }).map(function (m) { return store.remove("meta", m.key); })));
  });
}

function refetchSaved(url) {
  return savedCopy(url).then(function (old) {
    if (!old) return;
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.ok && !response.redirected) return refresh(url, response);
    });
  }).catch(function () {});
}

// --- sync: send what waits -----------------------------------------------------------------------

var syncing = null;

function sync() {
  if (!syncing) {
    syncing = sendAll().catch(function () {}).then(function () { syncing = null; notify(); });
  }
  return syncing;
}

function sendAll() {
  return store.all("outbox").then(function (items) {
    var waiting = items.filter(function (item) { return item.state === "waiting"; });
    if (!waiting.length) return;
    return fetch(STATE, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        // One at a time, in the order kept; a lost connection stops the round.
        return waiting.sort(function (a, b) { return a.keptAt - b.keptAt; })
          .reduce(function (previous, item) {
            return previous.then(function (going) {
              if (!going) return false;
              return sendOne(item, state);
            });
          }, Promise.resolve(true));
      }, function () { /* still offline: everything waits */ });
  });
}

function sendOne(item, state) {
  var form = FORMS.find(function (f) { return f.kind === item.kind; });
  if (!state.user) return note(item, "signin", true);
  if (String(item.user) !== String(state.user)) return note(item, "other", true);
  var body = new URLSearchParams();
  item.fields.forEach(function (pair) {
    body.append(pair[0], pair[0] === "csrf_token" ? state.csrf : pair[1]);
  });
  item.tries += 1;
  return fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
                           redirect: "follow", cache: "no-store" })
    .then(function (response) {
      var rel = relative(response.url) || "";
      if (response.ok && form.done.test(rel)) {
        return recorded(form, item.url, item.formKey, response.url).then(function () { return true; });
      }
      if (rel.indexOf("sign-in") === 0) return note(item, "signin", true);
      if (response.status === 404 || response.status === 403) return conflict(item, "changed");
      if (response.status === 400 || response.status === 200) return conflict(item, "refused");
      return note(item, "later", true);  // busy, rate-limited, a server error: later
    }, function () {
      // The connection went while sending: the server may or may not have recorded it. The
      // same key goes again next time, and the server records it once either way.
      return note(item, "interrupted", false);
    });
}

function note(item, why, going) {
  item.note = why;
  return store.put("outbox", item).then(function () { return going; });
}

function conflict(item, why) {
  item.state = "conflict";
  item.note = why;
  return store.put("outbox", item).then(function () { return true; });
}

function notify() {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "outbox" }); });
  });
}

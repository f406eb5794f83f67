// What this device keeps for Navigator, in IndexedDB; shared by the pages (offline.js) and the
// service worker (sw.js). Four stores, each keyed by "key":
//   modules  saved modules: title, course, language, size in bytes, when
//   outbox   forms kept to be sent: where to, their fields, whose, what became of them
//   sent     what was sent from this device, with the address of its result
//   meta     small facts: who is signed in on this device
// A connection is opened per call and closed after it, so nothing here ever blocks clearing.
/* exported NavigatorStore */
"use strict";

var NavigatorStore = (function () {
  var NAME = "navigator-offline";
  var STORES = ["modules", "outbox", "sent", "meta"];

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        STORES.forEach(function (name) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, { keyPath: "key" });
          }
        });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Run fn(store) in one transaction; resolves with what fn's request returned.
  function run(name, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var request = fn(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onabort = tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  return {
    all: function (name) { return run(name, "readonly", function (s) { return s.getAll(); }); },
    get: function (name, key) { return run(name, "readonly", function (s) { return s.get(key); }); },
    put: function (name, value) { return run(name, "readwrite", function (s) { return s.put(value); }); },
    remove: function (name, key) { return run(name, "readwrite", function (s) { return s.delete(key); }); },
    clearAll: function () {
      return Promise.all(STORES.map(function (name) {
        return run(name, "readwrite", function (s) { return s.clear(); });
      }));
    },
    // Cache names: one per saved module, and one for what saved modules share.
    SHARED: "navigator-shared",
    MODULE: "navigator-module:",
  };
})();

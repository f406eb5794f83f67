"""Offline: an installable app whose saved modules can be read, and answered, without a connection.

The server's part is small: the web app manifest, the service worker script (served at the
root so it may look after every page), a page listing what a device keeps, and for each module
the addresses a device needs to keep it. The rest happens in the browser, in our own scripts
(static/sw.js, static/offline.js, static/offline-store.js); without them every page works
online exactly as before.
"""

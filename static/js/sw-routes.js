// What the service worker does (visits/offline.py serves it from /sw.js with CRM_SW and Workbox loaded).
// Pages: network first, so a signed-in rep online always sees fresh data; the kept copy only without signal.
// The visit queue lives in IndexedDB (offline-queue.js): nothing here deletes it, whatever the version.
/* global workbox, crmVisitQueue */
(function () {
  "use strict";
  const { core, precaching, routing, strategies, cacheableResponse } = workbox;
  const PAGES = "crm-pages";
  const STATIC = "crm-static";
  // My day, the customer cards and the visit (and quick call) forms: what a rep needs on the road.
  const KEPT_PAGES = [/^\/day\/$/, /^\/customers\/\d+\/$/, /^\/customers\/\d+\/log\/$/];
  const FRESH_FOR_MS = 10 * 60 * 1000; // My day asks to keep its customers; one copy per 10 minutes is enough
  const MOST_KEPT = 80; // pages per request: 40 customers, the first of My day

  core.setCacheNameDetails({ prefix: "crm", suffix: "" });
  self.skipWaiting();
  core.clientsClaim();
  precaching.cleanupOutdatedCaches();
  precaching.precacheAndRoute(self.CRM_SW.precache);

  // Keep only a page as the signed-in user saw it: not a redirect to the login page, not an error.
  const onlyTheUsersPages = {
    cacheWillUpdate: async ({ response }) => (response && response.status === 200 && !response.redirected ? response : null),
  };
  const isKeptPage = (url) => url.origin === self.location.origin && KEPT_PAGES.some((path) => path.test(url.pathname));

  routing.registerRoute(
    ({ request, url }) => request.mode === "navigate" && isKeptPage(url),
    new strategies.NetworkFirst({
      cacheName: PAGES,
      networkTimeoutSeconds: 6,
      // The quick-call form (?method=phone…) falls back to the customer's kept form; Vary: Cookie never matches here.
      matchOptions: { ignoreSearch: true, ignoreVary: true },
      plugins: [onlyTheUsersPages],
    }),
  );
  // Anything else under /static/ (hashed names in production) is kept once a page has loaded it.
  routing.registerRoute(
    ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/static/"),
    new strategies.StaleWhileRevalidate({
      cacheName: STATIC,
      plugins: [new cacheableResponse.CacheableResponsePlugin({ statuses: [200] })],
    }),
  );

  async function keepPages(urls) {
    const cache = await caches.open(PAGES);
    for (const url of urls.slice(0, MOST_KEPT)) {
      if (!isKeptPage(new URL(url, self.location.origin))) continue;
      const kept = await cache.match(url, { ignoreVary: true });
      if (kept && Date.now() - Date.parse(kept.headers.get("Date") || 0) < FRESH_FOR_MS) continue;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        const fresh = await onlyTheUsersPages.cacheWillUpdate({ response });
        if (fresh) await cache.put(url, fresh);
      } catch (error) {
        return; // the signal went: keep what we have
      }
    }
  }

  self.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.type === "keep-pages") event.waitUntil(keepPages(message.urls || []));
    // Signed out (or someone else signed in): the kept pages were another person's view.
    if (message.type === "forget-pages") event.waitUntil(caches.delete(PAGES));
  });

  // Background Sync: the browser wakes the worker when the signal is back, even with the app closed.
  self.addEventListener("sync", (event) => {
    if (event.tag === "crm-visits") event.waitUntil(crmVisitQueue.sendAll());
  });
})();

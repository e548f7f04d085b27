// The phone's queue of visits logged without signal, shared by the pages (offline.js) and the service worker
// (sw-routes.js). It lives in IndexedDB, apart from the service worker's caches: a new deploy replaces the
// caches and never touches the queue. A draft is sent with its phone-made id (client_id), which the server
// records once, so sending it again (a retry, the page and the worker both sending) never makes a second visit.
(function (scope) {
  "use strict";
  const DB_NAME = "crm-offline";
  const STORE = "visits";
  const CHANNEL = "crm-visit-queue";
  // A visit the form is posting itself: shown in the queue only once it seems lost (the next page sends it,
  // and the server answers "already recorded" when the post did arrive).
  const SUBMITTING_GRACE_MS = 30 * 1000;
  const settled = (draft) =>
    draft.state !== "submitting" || Date.now() - Date.parse(draft.createdAt) > SUBMITTING_GRACE_MS;

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function inStore(mode, work) {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
    } finally {
      db.close();
    }
  }

  function announce() {
    // Every page (and the worker) hears the queue changed, whoever changed it.
    if (typeof BroadcastChannel === "function") {
      const channel = new BroadcastChannel(CHANNEL);
      channel.postMessage("changed");
      channel.close();
    }
  }

  const all = () => inStore("readonly", (store) => store.getAll());
  const get = (id) => inStore("readonly", (store) => store.get(id));
  async function put(draft) {
    await inStore("readwrite", (store) => store.put(draft));
    announce();
  }
  async function remove(id) {
    await inStore("readwrite", (store) => store.delete(id));
    announce();
  }

  async function answerOf(response) {
    try {
      return await response.json();
    } catch (error) {
      return {}; // not one of the queue's answers (a CSRF failure page, a proxy's error): try again later
    }
  }

  // The text alone as a form; with photos or files, as the form itself posts them (multipart).
  function bodyOf(draft) {
    if (!draft.files || !draft.files.length) return new URLSearchParams(draft.fields);
    const body = new FormData();
    for (const [name, value] of draft.fields) body.append(name, value);
    for (const [name, file] of draft.files) body.append(name, file, file.name);
    return body;
  }

  // Send the drafts of the signed-in user. Answers: 201 recorded and 200 duplicate both mean "kept once";
  // 400 refused (with reasons) and 403/404 not allowed keep the draft on the phone, marked refused;
  // a redirect is the login page (keep everything); anything else is a passing failure (keep, retry later).
  async function sendNow() {
    const waiting = (await all()).filter((draft) => draft.state !== "refused");
    if (!waiting.length) return { sent: 0 };
    let token, user;
    try {
      const answer = await fetch("/offline/csrf/", {
        credentials: "same-origin",
        redirect: "manual",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (answer.type === "opaqueredirect" || !answer.ok) return { signedOut: true };
      ({ token, user } = await answer.json());
    } catch (error) {
      return { offline: true };
    }
    let sent = 0;
    for (const draft of waiting.filter((item) => String(item.user) === String(user))) {
      let response;
      try {
        response = await fetch(draft.url, {
          method: "POST",
          credentials: "same-origin",
          redirect: "manual",
          body: bodyOf(draft),
          headers: { "X-CSRFToken": token, "X-Visit-Queue": "1", Accept: "application/json" },
        });
      } catch (error) {
        if (draft.state !== "waiting") await put({ ...draft, state: "waiting" });
        return { sent, offline: true };
      }
      if (response.type === "opaqueredirect") return { sent, signedOut: true };
      const answer = await answerOf(response);
      if (answer.status === "recorded" || answer.status === "duplicate") {
        await remove(draft.id);
        sent += 1;
      } else if (answer.status === "refused" || answer.status === "not_allowed") {
        await put({ ...draft, state: "refused", reasons: answer.errors || [], refusedAt: new Date().toISOString() });
      } else {
        if (draft.state !== "waiting") await put({ ...draft, state: "waiting" });
        return { sent, failed: response.status };
      }
    }
    return { sent };
  }

  function sendAll() {
    // One sender at a time across pages and the worker (Web Locks where the browser has them).
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("crm-visit-queue", sendNow);
    }
    return sendNow();
  }

  scope.crmVisitQueue = { all, get, put, remove, sendAll, settled, CHANNEL };
})(self);

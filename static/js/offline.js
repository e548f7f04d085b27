// Working without signal, on every page: installs the service worker, shows the visits kept on this phone
// ("waiting to send (n)", refused ones with their reasons), sends them when the signal is back, and lets the
// visit form keep a visit on the phone instead of failing. The queue itself is offline-queue.js.
(function () {
  "use strict";
  const root = document.getElementById("offline-queue");
  const queue = window.crmVisitQueue;
  if (!root || !queue || !("indexedDB" in window)) return;
  const text = root.dataset;
  const user = root.dataset.user;
  const box = root.querySelector("[data-queue-box]");
  const summary = root.querySelector("[data-queue-summary]");
  const note = root.querySelector("[data-queue-note]");
  const list = root.querySelector("[data-queue-list]");
  const announcer = root.querySelector("[data-queue-announce]");
  let signedOut = !user;

  const worker = "serviceWorker" in navigator;
  if (worker) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: "/" }).catch(() => {});
  }
  function tellWorker(message) {
    if (worker) navigator.serviceWorker.ready.then((registration) => registration.active.postMessage(message));
  }

  // Kept pages show one person's customers: forget them when someone else (or no one) is signed in.
  if (localStorage.getItem("crm-offline-user") !== user) {
    tellWorker({ type: "forget-pages" });
    localStorage.setItem("crm-offline-user", user);
  }

  const fill = (template, count) => template.replace("{n}", count);
  const shown = queue.settled; // a visit the form is posting itself shows only if that post seems lost

  function announce(message) {
    announcer.textContent = message;
  }

  function draftRow(draft) {
    const item = document.createElement("li");
    item.className = "border-top py-2 d-flex flex-wrap align-items-center gap-2";
    item.dataset.draft = draft.id;
    const label = document.createElement("div");
    label.className = "w-100 small";
    const name = document.createElement("strong");
    name.textContent = draft.customer || draft.url;
    const when = document.createElement("span");
    when.className = "text-body-secondary ms-1";
    const started = (draft.fields.find(([field]) => field === "started_at") || [])[1] || "";
    when.textContent = `${started.replace("T", " ")} · ${draft.state === "refused" ? text.textStateRefused : text.textStateWaiting}`;
    const said = (draft.fields.find(([field]) => field === "discussion") || [])[1] || "";
    const excerpt = document.createElement("div");
    excerpt.className = "text-truncate";
    excerpt.textContent = said;
    label.append(name, when, excerpt);
    for (const reason of draft.reasons || []) {
      const line = document.createElement("div");
      line.className = "text-danger-emphasis";
      line.textContent = reason;
      label.append(line);
    }
    const open = document.createElement("a");
    open.className = "btn btn-outline-primary offline-queue-action";
    open.href = `${draft.url}?draft=${encodeURIComponent(draft.id)}`;
    open.textContent = text.textOpen;
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-outline-danger offline-queue-action";
    discard.dataset.discard = draft.id;
    discard.textContent = text.textDiscard;
    item.append(label, open, discard);
    return item;
  }

  async function render() {
    const drafts = (await queue.all()).filter((draft) => !user || String(draft.user) === user).filter(shown);
    const waiting = drafts.filter((draft) => draft.state !== "refused");
    const refused = drafts.filter((draft) => draft.state === "refused");
    const lines = [];
    if (waiting.length) lines.push(fill(text.textWaiting, waiting.length));
    if (refused.length) lines.push(fill(text.textRefused, refused.length));
    if (!lines.length && !navigator.onLine) lines.push(text.textOffline);
    summary.textContent = lines.join(" · ");
    note.textContent = drafts.length && signedOut ? text.textSignIn : "";
    list.replaceChildren(...drafts.map(draftRow));
    list.closest("[data-queue-details]").hidden = !drafts.length;
    box.hidden = !lines.length;
    box.classList.toggle("alert-danger", refused.length > 0);
    box.classList.toggle("alert-warning", refused.length === 0);
  }

  async function send() {
    if (!user || !navigator.onLine) return render();
    const result = await queue.sendAll();
    signedOut = Boolean(result.signedOut);
    if (result.sent) announce(text.textSent);
    return render();
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-discard]");
    if (button && window.confirm(text.textConfirmDiscard)) {
      await queue.remove(button.dataset.discard);
    }
  });

  async function askForSync() {
    // Background Sync where the browser has it (Chromium): sent even if the app is closed when signal returns.
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register("crm-visits");
    } catch (error) {
      // No Background Sync here: the next page load or the online event sends it.
    }
  }

  // The visit form: a fresh phone-made id per page load; without signal, submitting keeps the visit here.
  const form = document.querySelector("form[data-offline-form]");
  const idInput = form && form.querySelector("input[name=client_id]");
  function newId() {
    idInput.value = crypto.randomUUID();
  }
  function draftOf(state) {
    return {
      id: idInput.value,
      user,
      url: form.dataset.offlineForm,
      customer: form.dataset.customerName,
      createdAt: new Date().toISOString(),
      state,
      reasons: [],
      fields: Array.from(new FormData(form)).filter(([name, value]) => name !== "csrfmiddlewaretoken" && typeof value === "string"),
      // Photos and files chosen or taken: kept as they are (IndexedDB holds File objects) and sent with the text.
      files: Array.from(new FormData(form)).filter(([, value]) => value instanceof File && value.size > 0),
    };
  }
  function restoreFiles(draft) {
    // A draft opened to fix brings its files back into the chooser (the camera's input is left empty).
    const byName = new Map();
    for (const [name, file] of draft.files || []) byName.set(name, [...(byName.get(name) || []), file]);
    for (const [name, files] of byName) {
      const input = form.querySelector(`input[type="file"][multiple][name="${CSS.escape(name)}"]`);
      if (!input || typeof DataTransfer !== "function") continue;
      const transfer = new DataTransfer();
      for (const file of files) transfer.items.add(file);
      input.files = transfer.files;
    }
  }
  function fillForm(draft, { keepTicks = false } = {}) {
    for (const element of form.elements) {
      if (!keepTicks && (element.type === "checkbox" || element.type === "radio")) element.checked = false;
    }
    for (const [name, value] of draft.fields) {
      for (const element of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
        if (element.type === "checkbox" || element.type === "radio") {
          if (element.value === value) element.checked = true;
        } else if (element.type !== "file") {
          element.value = value;
        }
      }
    }
  }
  function prefillFromAddress() {
    // Without signal the page is the worker's copy of this customer's form, whatever its address said
    // (the quick call's ?method=phone…): what the server would have filled in, the address still says.
    const asked = [...new URLSearchParams(window.location.search)].filter(([name]) => name !== "client_id");
    if (asked.length) fillForm({ fields: asked }, { keepTicks: true });
  }
  async function prepareForm() {
    const opened = new URLSearchParams(window.location.search).get("draft");
    const draft = opened && (await queue.get(opened));
    if (draft) {
      fillForm(draft); // a kept or refused visit, opened to fix: sending it again keeps its id
      restoreFiles(draft);
      idInput.value = draft.id;
    } else if (idInput.value) {
      // The server showed this form again with its errors: the draft it was posted as is on screen now.
      const posted = await queue.get(idInput.value);
      if (posted && posted.state === "submitting") await queue.remove(posted.id);
    } else {
      newId();
      if (!navigator.onLine) prefillFromAddress();
    }
    form.dataset.offlineReady = "true";
  }
  // The form shown again with its errors takes its own draft back first, so the sending below cannot take it
  // for a lost post and have the server refuse it a second time as a "not accepted" draft.
  let formReady = Promise.resolve();
  if (form && idInput && window.crypto && crypto.randomUUID) {
    formReady = prepareForm();
    form.addEventListener("submit", async (event) => {
      if (event.defaultPrevented) return;
      event.preventDefault();
      if (!idInput.value) newId();
      const post = () => HTMLFormElement.prototype.submit.call(form);
      try {
        // With signal it is still kept until the server's answer is seen: a post lost on a dying signal is sent
        // again later, once. Without signal it waits here.
        await queue.put(draftOf(navigator.onLine ? "submitting" : "waiting"));
      } catch (error) {
        post(); // no storage on this phone (a private window): the page posts as it would without this script
        return;
      }
      if (navigator.onLine) {
        post();
        return;
      }
      form.reset();
      newId();
      window.history.replaceState(null, "", window.location.pathname);
      announce(text.textQueued);
      await render();
      note.textContent = text.textQueued;
      root.scrollIntoView({ block: "start" });
      askForSync();
    });
  }

  // My day lists the customers of the day: keep their cards and visit forms for when the signal goes.
  if (window.location.pathname === root.dataset.day && navigator.onLine) {
    const ids = new Set();
    for (const link of document.querySelectorAll("main a[href^='/customers/']")) {
      const match = link.getAttribute("href").match(/^\/customers\/(\d+)\//);
      if (match) ids.add(match[1]);
    }
    const urls = [...ids].flatMap((id) => [`/customers/${id}/`, `/customers/${id}/log/`]);
    if (urls.length) tellWorker({ type: "keep-pages", urls });
  }

  if (typeof BroadcastChannel === "function") {
    new BroadcastChannel(queue.CHANNEL).addEventListener("message", () => render());
  }
  window.addEventListener("online", send);
  window.addEventListener("offline", render);
  formReady.then(() => send());
})();

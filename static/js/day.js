// My day: after a call placed from this page, coming back offers to log it (method phone, that contact).
// The tapped call is kept in sessionStorage: the tab survives the phone app, a new tab starts clean.
(() => {
  const KEY = "crm.day.lastCall";
  const STALE_AFTER_MS = 4 * 60 * 60 * 1000; // a call from this morning is no longer "this call"
  const banner = document.getElementById("call-log-banner");
  if (!banner) return;

  const remembered = () => {
    try {
      return JSON.parse(sessionStorage.getItem(KEY));
    } catch {
      return null;
    }
  };

  const offer = () => {
    let call = remembered();
    if (call && !(Date.now() - call.at < STALE_AFTER_MS)) {
      sessionStorage.removeItem(KEY);
      call = null;
    }
    // Only a link this page rendered: the stored URL is never trusted to point elsewhere.
    const link = call && document.querySelector(`[data-call][data-log-url="${CSS.escape(call.url)}"]`);
    if (!link) {
      banner.hidden = true;
      return;
    }
    banner.querySelector("[data-call-who]").textContent = link.dataset.callName;
    banner.querySelector("[data-call-log]").href = link.dataset.logUrl;
    banner.hidden = false;
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-call]");
    if (link) {
      sessionStorage.setItem(KEY, JSON.stringify({ url: link.dataset.logUrl, at: Date.now() }));
    } else if (event.target.closest("[data-call-forget], [data-call-log]")) {
      sessionStorage.removeItem(KEY);
      banner.hidden = true;
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") offer();
  });
  window.addEventListener("pageshow", offer);

  // One menu open at a time: opening a row's menu folds the others.
  document.addEventListener("toggle", (event) => {
    if (event.target.matches?.(".day-menu") && event.target.open) {
      document.querySelectorAll(".day-menu[open]").forEach((menu) => menu !== event.target && (menu.open = false));
    }
  }, true);
})();

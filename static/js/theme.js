// Colour mode, loaded in <head> so that it applies before the first paint (no flash of a light page at night).
// The choice (light, dark, or auto: the system's setting) is remembered in this browser; auto follows the
// system as it changes. The switch in the navigation bar is a <select data-theme-switch>, hidden without script.
(() => {
  const KEY = "crm-theme";
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  let choice = "auto";
  try {
    const value = localStorage.getItem(KEY);
    if (value === "light" || value === "dark") choice = value;
  } catch {
    // storage refused (private mode): follow the system
  }
  const show = () => {
    const mode = choice === "auto" ? (system.matches ? "dark" : "light") : choice;
    document.documentElement.setAttribute("data-bs-theme", mode);
  };
  show();
  system.addEventListener("change", show);
  document.addEventListener("DOMContentLoaded", () => {
    for (const select of document.querySelectorAll("[data-theme-switch]")) {
      select.value = choice;
      select.closest("[hidden]")?.removeAttribute("hidden");
      select.addEventListener("change", () => {
        choice = select.value;
        try {
          if (choice === "auto") localStorage.removeItem(KEY);
          else localStorage.setItem(KEY, choice);
        } catch {
          // not remembered, but this page still switches
        }
        show();
      });
    }
  });
})();

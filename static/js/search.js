// The search box of the navigation bar and the keyboard shortcuts. No inline handlers: the CSP is strict.
//
// The box is an ARIA combobox: htmx fetches the results into #search-popup as the user types; the focus stays
// in the box while the arrow keys move aria-activedescendant through the listbox's options; Enter opens the
// chosen option, or the best hit (the first) when none is chosen, or the results page when nothing matched.
(() => {
  const input = document.getElementById("search-input");
  const popup = document.getElementById("search-popup");
  const form = document.getElementById("site-search");
  if (!input || !popup || !form) return;

  const options = () => [...popup.querySelectorAll("[role=option]")];
  const active = () => document.getElementById(input.getAttribute("aria-activedescendant") || "");

  function open() {
    const hasContent = popup.children.length > 0;
    popup.hidden = !hasContent;
    input.setAttribute("aria-expanded", String(Boolean(popup.querySelector("[role=listbox]"))));
  }

  function close() {
    popup.hidden = true;
    input.setAttribute("aria-expanded", "false");
    choose(null);
  }

  function choose(option) {
    for (const each of options()) each.setAttribute("aria-selected", String(each === option));
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function move(step) {
    const all = options();
    if (!all.length) return;
    if (popup.hidden) open();
    const index = all.indexOf(active());
    const next = index < 0 ? (step > 0 ? 0 : all.length - 1) : (index + step + all.length) % all.length;
    choose(all[next]);
  }

  function go(option) {
    if (option && option.dataset.href && option.getAttribute("aria-disabled") !== "true") {
      window.location.assign(option.dataset.href);
      return true;
    }
    return false;
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === popup) {
      choose(null);
      if (document.activeElement === input) open();
    }
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const best = options().find((option) => option.dataset.href && option.getAttribute("aria-disabled") !== "true");
      if (go(active()) || go(best)) event.preventDefault();
      // Otherwise the form goes to the results page.
    } else if (event.key === "Escape") {
      if (!popup.hidden) {
        event.preventDefault();
        close();
      } else if (input.value) {
        event.preventDefault();
        input.value = "";
      }
    } else if (event.key === "Home" || event.key === "End") {
      choose(null);
    }
  });

  // A tap or click on an option: the box keeps the focus (mousedown), the option opens (click).
  popup.addEventListener("mousedown", (event) => event.preventDefault());
  popup.addEventListener("click", (event) => go(event.target.closest("[role=option]")));

  input.addEventListener("focus", open);
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) close();
  });

  // On a phone the box folds behind the bar's search button: opened, it takes the focus at once.
  form.addEventListener("shown.bs.collapse", () => input.focus());

  function focusSearch() {
    if (window.getComputedStyle(form).display === "none" && window.bootstrap) {
      window.bootstrap.Collapse.getOrCreateInstance(form).show(); // focuses the box when shown
    } else {
      input.focus();
      input.select();
    }
  }

  // Shortcuts, listed on the ? overlay: not while typing, nor with Ctrl, Alt or Cmd (the browser's own).
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable], [contenteditable=true]") !== null;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    if (document.querySelector(".modal.show") && event.key !== "?") return;
    if (event.key === "/") {
      event.preventDefault();
      focusSearch();
    } else if (event.key === "?") {
      const help = document.getElementById("shortcuts-help");
      if (help && window.bootstrap) {
        event.preventDefault();
        window.bootstrap.Modal.getOrCreateInstance(help).toggle();
      }
    } else if (event.key === "v" && !event.shiftKey) {
      const logVisit = document.querySelector("[data-shortcut=log-visit]");
      if (logVisit) {
        event.preventDefault();
        logVisit.click();
      }
    }
  });
})();

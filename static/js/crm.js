// Small behaviours shared by every page. No inline handlers, so a strict CSP can apply.

// A select that submits its form when changed (data-autosubmit): a pick with the mouse submits at once. Arrowing
// through a closed select changes its value at every step, so the keyboard submits with Enter, or on leaving it
// changed; otherwise a keyboard user would be taken away at the first option they pass.
const STEP_KEYS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
const steppedFrom = new WeakMap(); // select -> its value before the keyboard stepped
const isAutosubmit = (element) => element instanceof HTMLSelectElement && element.matches("[data-autosubmit]");
window.addEventListener("keydown", (event) => {
  const select = event.target;
  if (!isAutosubmit(select)) return;
  if (event.key === "Enter") {
    event.preventDefault();
    steppedFrom.delete(select);
    select.form.requestSubmit();
  } else if ((STEP_KEYS.has(event.key) || (event.key.length === 1 && event.key !== " ")) && !steppedFrom.has(select)) {
    steppedFrom.set(select, select.value);
  }
}, true); // the window's capture: before the stop below, which keeps Bootstrap's dropdown from the same keys

// Up and down in a select inside a dropdown menu (the colour scheme and the language in the user menu) step the
// select; Bootstrap's dropdown, listening in the document's capture phase, would take them to move between the
// menu's items. Stopped at the window, before the document.
window.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLSelectElement && event.target.closest(".dropdown-menu")
      && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.stopPropagation();
  }
}, true);
document.addEventListener("pointerdown", (event) => {
  if (isAutosubmit(event.target)) steppedFrom.delete(event.target);
});
document.addEventListener("change", (event) => {
  if (isAutosubmit(event.target) && !steppedFrom.has(event.target)) event.target.form.requestSubmit();
});
document.addEventListener("focusout", (event) => {
  const select = event.target;
  if (!isAutosubmit(select) || !steppedFrom.has(select)) return;
  const changed = steppedFrom.get(select) !== select.value;
  steppedFrom.delete(select);
  if (changed) select.form.requestSubmit();
});

// A link that acts as a button (role="button", as Bootstrap's dropdown toggles) also answers Space, like a button.
document.addEventListener("keydown", (event) => {
  if (event.key === " " && event.target instanceof HTMLAnchorElement && event.target.matches("[role=button]")) {
    event.preventDefault();
    event.target.click();
  }
});

// Forms shown in place (a board card's Transfer, Set grade): the keyboard goes to the form's first field (or the
// first refused one), Cancel gives it back to the link that opened the form, and the card that comes back when the
// action is done puts it on its notice ([data-focus-after-swap]). Without this, focus falls to the page's start.
const openedBy = new WeakMap(); // slot -> the element whose request filled it
document.addEventListener("htmx:afterSettle", (event) => {
  const slot = event.detail.target;
  const trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (slot && slot.isConnected && slot.matches("[data-focus-first-field]")) {
    if (trigger && !slot.contains(trigger)) openedBy.set(slot, trigger);
    const field = slot.querySelector(".is-invalid, select, textarea, input:not([type=hidden]), button");
    if (field) field.focus();
  }
  const notice = document.querySelector("[data-focus-after-swap]");
  if (notice) {
    notice.removeAttribute("data-focus-after-swap");
    notice.focus();
  }
});
// A Cancel link of a form shown in place (data-empties="#slot") folds the form away instead of leaving the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-empties]");
  const slot = link && document.querySelector(link.dataset.empties);
  if (slot) {
    event.preventDefault();
    slot.replaceChildren();
    const trigger = openedBy.get(slot);
    if (trigger && trigger.isConnected) trigger.focus();
  }
});
// A form fetched into the page (add contact) opens where the rep is looking: scrolled to, first field focused;
// a list refreshed after saving shows its confirmation.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  const form = target.matches("form") ? target : target.querySelector("form");
  const saved = target.querySelector("[role=status]");
  if (target.id === "contact-form-slot" && form) {
    form.scrollIntoView({ block: "start", behavior: "smooth" });
    form.querySelector("input:not([type=hidden]), select, textarea")?.focus({ preventScroll: true });
  } else if (saved) {
    saved.scrollIntoView({ block: "center", behavior: "smooth" });
  }
});

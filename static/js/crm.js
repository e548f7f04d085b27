// Small behaviours shared by every page. No inline handlers, so a strict CSP can apply.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) {
    event.target.form.requestSubmit();
  }
});
// A Cancel link of a form shown in place (data-empties="#slot") folds the form away instead of leaving the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-empties]");
  const slot = link && document.querySelector(link.dataset.empties);
  if (slot) {
    event.preventDefault();
    slot.replaceChildren();
  }
});

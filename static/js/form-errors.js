// A form's error summary: focused on load, so a screen reader reads it and a phone shows it; each link
// opens the folded section its field is in and puts the cursor in the field.
(() => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("[data-error-link]");
    if (!link) return;
    const form = summary.closest("form");
    // A multiple choice (checkboxes) has no element with the field's id: its first box stands for it.
    const field =
      document.getElementById(link.hash.slice(1)) || form.querySelector(`[name="${CSS.escape(link.dataset.field)}"]`);
    if (!field) return;
    event.preventDefault();
    for (let fold = field.closest("details"); fold; fold = fold.parentElement.closest("details")) fold.open = true;
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();

// Names for the controls Django's admin leaves without one (found by axe, tests/browser/test_accessibility.py).
// The widgets below are built on "load" or earlier, before this file's listener runs: wait one turn so they exist.
const labelText = (label) => (label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "");

const nameControls = () => {
  // The permission picker (SelectFilter2.js) labels a bare <span> icon, which ARIA allows only with a role.
  for (const icon of document.querySelectorAll("span.search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
  // A tabular inline's cells are labelled by their column's header only visually: name each by its column.
  for (const table of document.querySelectorAll(".tabular table")) {
    for (const cell of table.querySelectorAll("td[class*='field-']")) {
      const column = [...cell.classList].find((name) => name.startsWith("field-")).slice("field-".length);
      const header = table.querySelector(`th.column-${CSS.escape(column)}`);
      for (const control of cell.querySelectorAll("input:not([type=hidden]), select, textarea")) {
        if (!control.labels.length && !control.hasAttribute("aria-label") && header) {
          control.setAttribute("aria-label", labelText(header));
        }
      }
    }
  }
  // A date and time pair ("Date: [ ] Time: [ ]") has one label for the field: name each part after it.
  for (const pair of document.querySelectorAll("p.datetime")) {
    const field = labelText(pair.closest(".form-row, .fieldBox")?.querySelector("label"));
    for (const control of pair.querySelectorAll("input:not([type=hidden])")) {
      const part = (control.previousSibling?.textContent || "").replace(/[:：]\s*$/, "").trim();
      if (!control.labels.length && !control.hasAttribute("aria-label")) {
        control.setAttribute("aria-label", [field, part].filter(Boolean).join(" "));
      }
    }
  }
  // An autocomplete (select2) names its box after the current choice, which is empty until one is made.
  for (const select of document.querySelectorAll("select.admin-autocomplete")) {
    const name = labelText(select.labels[0]);
    const box = select.nextElementSibling;
    if (name && box) {
      for (const part of box.querySelectorAll(".select2-selection, .select2-selection__rendered")) {
        part.setAttribute("aria-label", name);
      }
    }
  }
};

window.addEventListener("load", () => setTimeout(nameControls));

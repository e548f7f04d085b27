// The decide form: a customary split fills the holder's share and picks "split"; the challenger's share follows.
(() => {
  const form = document.querySelector("[data-testid=decide-form]");
  if (!form) return;
  const share = form.querySelector("[data-complement]");
  const other = document.getElementById(share.dataset.complement);
  const showOther = () => {
    const value = Number(share.value);
    other.textContent = share.value !== "" && value >= 1 && value <= 99 ? String(100 - value) : "—";
  };
  form.querySelector("[data-fills]").addEventListener("change", (event) => {
    if (!event.target.value) return;
    share.value = event.target.value;
    const split = form.querySelector("input[name=outcome][value=split]");
    if (split) split.checked = true;
    showOther();
  });
  share.addEventListener("input", showOther);
  showOther();
})();

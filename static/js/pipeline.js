// The pipeline on a wide screen: a card dragged onto another stage's column posts the card's own move form with
// that stage, as its button posts the next one. A refused move opens the deal page with what is missing (and, for a
// manager, the reason to move on without it), as a refused button does.
(() => {
  const board = document.querySelector("[data-pipeline]");
  if (!board) return;
  let dragged = null;
  let over = null;

  const element = (node) => (node instanceof Element ? node : node.parentElement);
  const highlight = (column) => {
    if (over === column) return;
    over?.classList.remove("is-drop-target");
    over = column;
    over?.classList.add("is-drop-target");
  };
  // The column under the pointer, when a card is dragged from another one.
  const target = (event) => {
    const column = dragged && element(event.target)?.closest("[data-stage]");
    return column && column !== dragged.closest("[data-stage]") ? column : null;
  };

  board.addEventListener("dragstart", (event) => {
    const card = element(event.target)?.closest("[data-move]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.move);
    card.classList.add("is-dragged");
  });
  board.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragged");
    dragged = null;
    highlight(null);
  });
  board.addEventListener("dragover", (event) => {
    const column = target(event);
    highlight(column);
    if (!column) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
  });
  board.addEventListener("drop", (event) => {
    const column = target(event);
    if (!column) return;
    event.preventDefault();
    const form = dragged.querySelector("[data-move-form]");
    form.elements.to_stage.value = column.dataset.stage;
    dragged.classList.add("is-moving");
    form.requestSubmit();
  });
})();

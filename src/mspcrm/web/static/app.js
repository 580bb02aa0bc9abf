// mspcrm pages: the pipeline board's drag and drop (the move buttons work without it).
(function () {
  "use strict";
  function csrf() {
    var raw = document.body.getAttribute("hx-headers");
    try { return raw ? JSON.parse(raw)["X-CSRF-Token"] : ""; } catch (e) { return ""; }
  }
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".card[draggable]");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.id);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".card");
    if (card) card.classList.remove("dragging");
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board .column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("over");
  });
  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board .column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("over");
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board .column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("over");
    var id = event.dataTransfer.getData("text/plain");
    var board = column.closest(".board");
    if (!id || !window.htmx) return;
    htmx.ajax("POST", board.dataset.moveUrl, {
      target: "#board",
      swap: "outerHTML",
      values: { id: id, stage: column.dataset.stage },
      headers: { "X-CSRF-Token": csrf() }
    });
  });
})();

// The pipeline board: drag a card to another column to move it. The server moves it through
// the pipeline service and answers with the card as it now is (200), or with the card and the
// refusal on it (409), which stays where it was. Without this script each card's form moves
// it (the board's no-JavaScript fallback).
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) return;
  const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  let dragged = null;

  function count(column, delta) {
    const badge = column.querySelector(".count");
    badge.textContent = String(Number(badge.textContent) + delta);
  }

  function replaceCard(card, html) {
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const fresh = holder.firstElementChild;
    card.replaceWith(fresh);
    return fresh;
  }

  board.addEventListener("dragstart", function (event) {
    dragged = event.target.closest(".board-card");
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    dragged.classList.add("opacity-50");
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("opacity-50");
  });
  board.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest(".board-column")) event.preventDefault();
  });
  board.addEventListener("drop", function (event) {
    const column = event.target.closest(".board-column");
    if (!dragged || !column) return;
    event.preventDefault();
    const card = dragged;
    dragged = null;
    const from = card.closest(".board-column");
    if (from === column) return;
    const body = new URLSearchParams({ stage: column.dataset.stage, filters: board.dataset.filters });
    fetch(card.dataset.moveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token, "HX-Request": "true" },
      body: body,
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.status === 200) {
          const cards = column.querySelector(".board-cards");
          const empty = cards.querySelector(".empty");
          if (empty) empty.remove();
          card.remove();
          cards.prepend(replaceCard(document.createElement("div"), html));
          count(from, -1);
          count(column, 1);
        } else {
          replaceCard(card, html);
        }
      });
    });
  });
})();

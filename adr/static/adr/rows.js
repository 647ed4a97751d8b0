// Formset rows added and removed in place, without a page load (CSP: no inline code).
//
// Markup: an element with data-rows="<formset prefix>" (and data-rows-noun) holds the
// formset's management form, a [data-rows-list] of rows ([data-row]), a
// <template data-rows-template> rendered from the formset's empty form (__prefix__ for
// the index, __num__ for the number people read), an [data-rows-add] button and an
// aria-live [data-rows-status]. "Remove" ticks the row's DELETE box and hides the row;
// the server sees an ordinary formset post. Without script the page offers blank rows
// and DELETE boxes instead (their labels, .delete-row, are hidden here).
// Fires "rows:added" / "rows:removed" (detail: prefix, index).
(() => {
  function totalInput(box) {
    return box.querySelector(`input[name="${box.dataset.rows}-TOTAL_FORMS"]`);
  }

  function say(box, text) {
    const status = box.querySelector("[data-rows-status]");
    if (status) status.textContent = text;
  }

  function announce(box, type, index, row) {
    box.dispatchEvent(
      new CustomEvent(type, { bubbles: true, detail: { prefix: box.dataset.rows, index, row } }),
    );
  }

  function enhance(scope) {
    for (const button of scope.querySelectorAll("[data-rows-remove]")) button.hidden = false;
    for (const label of scope.querySelectorAll(".delete-row")) label.hidden = true;
  }

  function add(box) {
    const total = totalInput(box);
    const index = Number(total.value);
    const html = box
      .querySelector("template[data-rows-template]")
      .innerHTML.replaceAll("__prefix__", String(index))
      .replaceAll("__num__", String(index + 1));
    const list = box.querySelector("[data-rows-list]");
    list.insertAdjacentHTML("beforeend", html);
    const row = list.lastElementChild;
    total.value = String(index + 1);
    enhance(row);
    if (window.htmx) window.htmx.process(row); // e.g. the Markdown preview buttons
    announce(box, "rows:added", index, row);
    say(box, `${box.dataset.rowsNoun} ${index + 1} added.`);
    row.querySelector("input:not([type=hidden]), textarea, select")?.focus();
  }

  function remove(box, row) {
    const index = Number(row.dataset.row);
    const tick = row.querySelector('input[name$="-DELETE"]');
    if (tick) tick.checked = true;
    row.hidden = true;
    announce(box, "rows:removed", index, row);
    say(box, `${box.dataset.rowsNoun} ${index + 1} removed; it goes when you save.`);
    box.querySelector("[data-rows-add]")?.focus();
  }

  document.addEventListener("click", (event) => {
    const adder = event.target.closest("[data-rows-add]");
    const remover = event.target.closest("[data-rows-remove]");
    const button = adder || remover;
    const box = button?.closest("[data-rows]");
    if (!box) return;
    event.preventDefault();
    if (adder) add(box);
    else remove(box, remover.closest("[data-row]"));
  });

  document.addEventListener("DOMContentLoaded", () => {
    for (const box of document.querySelectorAll("[data-rows]")) {
      const list = box.querySelector("[data-rows-list]");
      enhance(list);
      for (const button of box.querySelectorAll("[data-rows-add]")) button.hidden = false;
      // A row already ticked for removal (a form shown again after an error) stays hidden.
      for (const row of list.querySelectorAll("[data-row]")) {
        if (row.querySelector('input[name$="-DELETE"]')?.checked) row.hidden = true;
      }
    }
  });
})();

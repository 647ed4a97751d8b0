// The decision editor's matrix (adr/editor.py renders it; rows.js adds and removes rows).
// The grid's headers follow the option titles and criterion names as they are typed, a
// column or row appears once its option or criterion has a name (or a filled cell), the
// weights are mirrored, and each option's weighted total (sum of score × weight, as the
// decision page computes it) is recomputed on every change, before anything is saved.
(() => {
  function editor(form) {
    const grid = form.querySelector("#matrix-grid");
    const cellTemplate = document.getElementById("mx-cell-template");
    const value = (name) => (form.elements.namedItem(name)?.value || "").trim();
    const count = (prefix) => Number(value(`${prefix}-TOTAL_FORMS`)) || 0;
    const removed = (prefix, i) => Boolean(form.elements.namedItem(`${prefix}-${i}-DELETE`)?.checked);
    const optionName = (i) => value(`options-${i}-title`);
    const criterionName = (i) => value(`criteria-${i}-name`);
    const filled = (cells) =>
      cells.some((td) => [...td.querySelectorAll("input, select")].some((el) => el.value.trim()));
    const column = (i) => grid.querySelectorAll(`[data-option="${i}"]`);
    const row = (c) => grid.querySelector(`tbody tr[data-criterion="${c}"]`);

    function cell(c, o) {
      const html = cellTemplate.innerHTML.replaceAll("__c__", String(c)).replaceAll("__o__", String(o));
      const holder = document.createElement("tr");
      holder.innerHTML = html;
      return holder.firstElementChild;
    }

    function addOption(o) {
      const th = document.createElement("th");
      th.scope = "col";
      th.id = `mx-o-${o}`;
      th.dataset.option = String(o);
      grid.tHead.rows[0].append(th);
      for (const tr of grid.tBodies[0].rows) tr.append(cell(Number(tr.dataset.criterion), o));
      const td = document.createElement("td");
      td.dataset.option = String(o);
      const output = document.createElement("output");
      output.id = `mx-total-${o}`;
      output.setAttribute("aria-labelledby", `mx-total-say mx-o-${o}`);
      td.append(output);
      grid.tFoot.rows[0].append(td);
    }

    function addCriterion(c) {
      const tr = document.createElement("tr");
      tr.dataset.criterion = String(c);
      const th = document.createElement("th");
      th.scope = "row";
      th.id = `mx-c-${c}`;
      const weight = document.createElement("td");
      weight.className = "weight";
      weight.dataset.weightOf = String(c);
      tr.append(th, weight);
      for (let o = 0; o < count("options"); o++) tr.append(cell(c, o));
      grid.tBodies[0].append(tr);
    }

    function syncFavours() {
      const choices = [["", "—"]];
      for (let o = 0; o < count("options"); o++) {
        if (!removed("options", o) && optionName(o)) choices.push([String(o), `Option ${o + 1}: ${optionName(o)}`]);
      }
      for (const select of form.querySelectorAll('select[name^="notes-"][name$="-favours"]')) {
        const chosen = select.value;
        select.replaceChildren(
          ...choices.map(([v, label]) => new Option(label, v, false, v === chosen)),
        );
      }
    }

    function refresh() {
      const options = count("options");
      const shownOptions = [];
      for (let o = 0; o < options; o++) {
        const cells = [...column(o)];
        const show = !removed("options", o) && (optionName(o) !== "" || filled(cells));
        for (const el of cells) el.hidden = !show;
        const th = document.getElementById(`mx-o-${o}`);
        if (th) th.textContent = optionName(o) || `Option ${o + 1}`;
        if (show) shownOptions.push(o);
      }
      const shownCriteria = [];
      for (let c = 0; c < count("criteria"); c++) {
        const tr = row(c);
        if (!tr) continue;
        const show = !removed("criteria", c) && (criterionName(c) !== "" || filled([tr]));
        tr.hidden = !show;
        tr.querySelector("th").textContent = criterionName(c) || `Criterion ${c + 1}`;
        const weight = value(`criteria-${c}-weight`);
        const number = Number.parseFloat(weight);
        tr.querySelector("[data-weight-of]").textContent = Number.isFinite(number) ? String(number) : weight;
        if (show) shownCriteria.push(c);
      }
      for (const o of shownOptions) {
        let total = 0;
        let scored = false;
        for (const c of shownCriteria) {
          const score = value(`cell-${c}-${o}-score`);
          const weight = Number.parseFloat(value(`criteria-${c}-weight`));
          if (score === "" || !Number.isFinite(weight)) continue;
          total += weight * Number(score);
          scored = true;
        }
        document.getElementById(`mx-total-${o}`).textContent = scored ? String(Number(total.toFixed(2))) : "–";
      }
      const empty = shownOptions.length === 0 || shownCriteria.length === 0;
      form.querySelector("[data-matrix-empty]").hidden = !empty;
      grid.hidden = empty;
    }

    form.addEventListener("rows:added", (event) => {
      const { prefix, index } = event.detail;
      if (prefix === "options") addOption(index);
      if (prefix === "criteria") addCriterion(index);
      if (prefix === "options" || prefix === "notes") syncFavours();
      refresh();
    });
    form.addEventListener("rows:removed", (event) => {
      if (event.detail.prefix === "options") syncFavours();
      refresh();
    });
    form.addEventListener("input", (event) => {
      if (/^options-\d+-title$/.test(event.target.name)) syncFavours();
      refresh();
    });
    form.addEventListener("change", refresh);
    syncFavours();
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("decision-form");
    if (form?.querySelector("#matrix-grid")) editor(form);
  });
})();

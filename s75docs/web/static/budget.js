// A budget table as a grid: totals to the penny as you type, the checks at the cell when a
// cell is left, saving the table. Money is counted in pence as BigInt from the typed text,
// never as a JavaScript (binary floating point) number. Text is set as text, never as HTML.
"use strict";
(function () {
  const root = document.querySelector(".budget");
  const grid = document.getElementById("grid");
  if (!grid) return;  // a workbook: read-only
  const base = "/a/" + encodeURIComponent(root.dataset.name) + "/budget/" + root.dataset.index;
  const status = document.getElementById("status");
  const body = grid.querySelector("tbody");
  const columns = Array.from(grid.querySelectorAll("thead th")).slice(0, -1)
    .map((th) => th.textContent.trim().toLowerCase());
  const MONEY = /^(-)?\s*£?\s*([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?$/;

  // The amount in pence (BigInt), or null if the text is not an amount s75docs accepts.
  function pence(text) {
    const match = MONEY.exec(text.trim());
    if (!match || (match[2].length > 1 && match[2][0] === "0")) return null;
    const value = BigInt(match[2].replace(/,/g, "")) * 100n + BigInt((match[3] || "").padEnd(2, "0"));
    return match[1] ? -value : value;
  }

  function money(value) {
    const negative = value < 0n;
    const digits = (negative ? -value : value).toString().padStart(3, "0");
    const pounds = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + "£" + pounds + "." + digits.slice(-2);
  }

  function cellsOf(tr) {
    return Array.from(tr.querySelectorAll("input.cell")).map((input) => input.value);
  }

  function rows() {
    return Array.from(body.rows).map((tr) => ({
      id: tr.dataset.id === "" ? null : Number(tr.dataset.id),
      cells: cellsOf(tr),
    }));
  }

  // The lines of a totals table: one for each key of ``sums``, in the order first met.
  function showLines(id, sums) {
    const lines = document.getElementById(id);
    lines.replaceChildren();
    for (const [key, value] of sums) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = key;
      td.textContent = money(value);
      td.className = "money";
      tr.append(th, td);
      lines.appendChild(tr);
    }
  }

  function totals() {
    const amount = columns.indexOf("amount");
    const partner = columns.indexOf("partner");
    const year = columns.indexOf("year");
    const byPartner = new Map();
    const byYear = new Map();  // financial years as the table writes them, in its order
    let total = 0n;
    let skipped = 0;
    for (const tr of body.rows) {
      const cells = cellsOf(tr);
      if (cells.every((c) => c.trim() === "")) continue;
      const input = tr.querySelectorAll("input.cell")[amount];
      const value = pence(cells[amount] || "");
      input.classList.toggle("not-amount", value === null);
      if (value === null) { skipped += 1; continue; }
      total += value;
      const key = (cells[partner] || "").trim() || "(no partner)";
      byPartner.set(key, (byPartner.get(key) || 0n) + value);
      const when = (year < 0 ? "" : (cells[year] || "").trim()) || "(no year)";
      byYear.set(when, (byYear.get(when) || 0n) + value);
    }
    showLines("totals", byPartner);
    showLines("year-totals", byYear);
    document.getElementById("total").textContent = money(total);
    document.getElementById("not-counted").textContent = skipped
      ? skipped + " amount(s) not counted: not an amount of money" : "";
  }

  const finding = s75.finding;

  function show(state) {
    grid.querySelectorAll(".messages").forEach((box) => box.replaceChildren());
    Array.from(body.rows).forEach((tr, r) => {
      tr.querySelectorAll("td[data-column]").forEach((td, c) => {
        (state.cells[r + ":" + c] || []).forEach((f) => td.querySelector(".messages").appendChild(finding(f, false)));
        td.classList.toggle("has-error", (state.cells[r + ":" + c] || []).some((f) => f.severity === "error"));
      });
    });
    const general = document.getElementById("general");
    general.replaceChildren();
    state.general.forEach((f) => general.appendChild(finding(f, true)));
    const c = state.counts;
    document.getElementById("counts").textContent = c.error + " error(s), " + c.warning +
      " warning(s), " + c.open + " open point(s) in the agreement";
    document.getElementById("dirty").hidden = !state.dirty;
  }

  const post = (action) => s75.post(base + "/" + action, {rows: rows()});

  async function check() {
    status.textContent = "checking…";
    const [code, state] = await post("change");
    status.textContent = code === 200 ? "" : state.error || "not checked";
    if (code === 200) show(state);
  }

  grid.addEventListener("input", totals);
  grid.addEventListener("change", check);
  grid.addEventListener("click", (event) => {
    const button = event.target.closest("button.remove-row");
    if (!button) return;
    button.closest("tr").remove();
    totals();
    check();
  });

  document.getElementById("add-row").addEventListener("click", () => {
    const last = body.rows[body.rows.length - 1];
    const tr = document.createElement("tr");
    tr.dataset.id = "";
    columns.forEach((column) => {
      const td = document.createElement("td");
      td.dataset.column = column;
      const input = document.createElement("input");
      input.className = "cell";
      input.setAttribute("aria-label", "row " + (body.rows.length + 1) + " " + column);
      if (column === "partner") input.setAttribute("list", "partner-keys");
      if (column === "year" && last) input.value = cellsOf(last)[columns.indexOf("year")];
      const messages = document.createElement("div");
      messages.className = "messages";
      td.append(input, messages);
      tr.appendChild(td);
    });
    const td = document.createElement("td");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-row";
    remove.textContent = "Remove";
    td.appendChild(remove);
    tr.appendChild(td);
    body.appendChild(tr);
    tr.querySelector("input.cell").focus();
  });

  document.getElementById("save").addEventListener("click", () => s75.save(
    () => post("save"), status, show));

  document.getElementById("reload").addEventListener("click", () => s75.reload(root.dataset.name));

  totals();
})();

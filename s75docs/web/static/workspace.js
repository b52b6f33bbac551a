// The workspace page: send each changed field, show the findings at their fields, refresh the
// preview. Plain JavaScript, no libraries; text from the server is set as text, never as HTML,
// except the preview and side panels, which the server escaped.
"use strict";
(function () {
  const root = document.querySelector(".workspace");
  const base = "/a/" + encodeURIComponent(root.dataset.name);
  const status = document.getElementById("status");

  const post = (action, body) => s75.post(base + "/" + action, body);
  const finding = s75.finding;

  function show(state) {
    document.querySelectorAll(".messages").forEach((box) => box.replaceChildren());
    for (const [name, items] of Object.entries(state.fields)) {
      const box = document.querySelector('[data-field="' + CSS.escape(name) + '"] > .messages');
      if (box) items.forEach((f) => box.appendChild(finding(f, false)));
    }
    const general = document.getElementById("general");
    state.general.filter((f) => f.severity !== "open")
      .forEach((f) => general.appendChild(finding(f, true)));
    const c = state.counts;
    document.getElementById("counts").textContent =
      c.error + " error(s), " + c.warning + " warning(s), " + c.open + " open point(s)";
    document.getElementById("dirty").hidden = !state.dirty;
    const preview = document.getElementById("preview");
    if (state.preview) {
      preview.innerHTML = state.preview;
      document.getElementById("side").innerHTML = state.side;
      preview.classList.remove("stale");
    } else {
      preview.classList.add("stale");  // the last preview without errors stays, dimmed
    }
  }

  function answer(box) {
    const body = {field: box.dataset.field};
    const value = box.querySelector(".value");
    const open = box.querySelector(".open");
    const note = box.querySelector(".note");
    if (value) body.value = value.value;
    if (value && value.type === "checkbox") body.checked = value.checked;
    if (open) body.open = open.checked;
    if (note) body.note = note.value;
    if (open) box.classList.toggle("is-open", open.checked);
    return body;
  }

  document.getElementById("agreement-form").addEventListener("change", async (event) => {
    const box = event.target.closest(".field");
    if (!box) return;
    status.textContent = "checking…";
    const [code, state] = await post("change", answer(box));
    status.textContent = code === 200 ? "" : state.error || "not changed";
    if (code === 200) show(state);
  });

  // A change that adds or removes fields: the server draws the form again.
  async function redraw(action, body) {
    status.textContent = "checking…";
    const [code, state] = await post(action, body);
    status.textContent = code === 200 ? "" : state.error || "not changed";
    if (code !== 200) return null;
    const form = document.getElementById("agreement-form");
    const scrolled = form.scrollTop;
    form.innerHTML = state.form;  // escaped by the server
    form.scrollTop = scrolled;
    show(state);
    return form;
  }

  // A mapping keyed by partner (a risk share) or by clause: add an entry, or remove one.
  document.getElementById("agreement-form").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-map-action]");
    if (!button) return;
    const map = button.closest('fieldset[data-role="map"]');
    const action = button.dataset.mapAction;
    const key = action === "add" ? map.querySelector(":scope > .map-add .new-key").value
      : button.dataset.key;
    const form = await redraw("map", {field: map.dataset.field, action: action, key: key});
    if (form && action === "add") {  // the new entry, ready to type
      const added = form.querySelector('[data-field="' + CSS.escape(map.dataset.field + "." + key) + '"] .value');
      if (added) { added.scrollIntoView({block: "nearest"}); added.focus(); }
    }
  });

  // Lists of groups: add an item, or remove or move one; the server draws the form again.
  document.getElementById("agreement-form").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-list-action]");
    if (!button) return;
    const action = button.dataset.listAction;
    const group = button.closest("fieldset[data-role]");
    const list = action === "add" ? group : group.parentElement.closest('fieldset[data-role="list"]');
    const index = action === "add" ? 0 : Number(group.dataset.field.match(/\[(\d+)\]$/)[1]);
    const form = await redraw("list", {field: list.dataset.field, action: action, index: index});
    if (!form) return;
    if (action === "add") {  // the new item: in view, its first answer ready to type
      const items = form.querySelectorAll('[data-field="' + CSS.escape(list.dataset.field) +
        '"] > fieldset[data-role="item"]');
      const added = items[items.length - 1];
      if (added) {
        added.scrollIntoView({block: "nearest"});
        const first = added.querySelector(".value");
        if (first) first.focus();
      }
    }
  });

  document.getElementById("save").addEventListener("click", () => s75.save(
    () => post("save"), status,
    (result) => { document.getElementById("dirty").hidden = !result.dirty; }));

  document.getElementById("reload").addEventListener("click", () => s75.reload(root.dataset.name));
})();

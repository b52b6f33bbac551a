// What every workspace page's script shares: posting with the page's token, a finding as a
// paragraph (text set as text, never as HTML), and saving with the changed-on-disk answer.
"use strict";
window.s75 = (function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {}),
    });
    return [response.status, await response.json()];
  }

  function finding(f, withPlace) {
    const p = document.createElement("p");
    p.className = "finding " + f.severity;
    const place = (f.file || "") + (f.line ? ":" + f.line : "") + (f.path ? ": " + f.path : "");
    p.textContent = (withPlace ? place + ": " : "") + f.message;
    return p;
  }

  // Save through ``send``; a file changed on disk is shown beside ours, not overwritten.
  async function save(send, status, saved) {
    status.textContent = "saving…";
    const [code, result] = await send();
    if (code === 409 && result.conflict) {
      document.getElementById("conflict-disk").textContent = result.conflict.disk;
      document.getElementById("conflict-ours").textContent = result.conflict.ours;
      document.getElementById("conflict").hidden = false;
      status.textContent = "not saved: the file changed on disk";
      return;
    }
    status.textContent = code === 200 ? "saved" : result.error || "not saved";
    if (code === 200) saved(result);
  }

  // Forget every unsaved change to the agreement and read its files again.
  async function reload(name) {
    const [code] = await post("/a/" + encodeURIComponent(name) + "/reload");
    if (code === 200) window.location.reload();
  }

  return {post: post, finding: finding, save: save, reload: reload};
})();

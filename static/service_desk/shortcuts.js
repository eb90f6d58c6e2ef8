// Ticket page (agent workspace): keyboard shortcuts and the "who else is here" notice.
// r reply, n internal note, a assign to me, s status, ? this list. Keys typed into a field are left alone;
// Esc leaves the reply box or the status field so the shortcuts work again.
(() => {
  const page = document.querySelector("[data-ticket-workspace]");
  if (!page) return;

  const replyBox = () => document.getElementById("reply-body");
  const writeAs = (kind) => {
    const radio = document.getElementById(kind === "note" ? "kind-note" : "kind-reply");
    const box = replyBox();
    if (!radio || !box) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    box.focus();
    box.scrollIntoView({ block: "center", behavior: "smooth" });
  };
  const actions = {
    r: () => writeAs("reply"),
    n: () => writeAs("note"),
    a: () => document.querySelector("[data-shortcut-assign]")?.requestSubmit(),
    s: () => {
      const status = document.getElementById("id_status");
      status?.focus();
      status?.scrollIntoView({ block: "center", behavior: "smooth" });
    },
    "?": () => {
      const modal = document.getElementById("shortcuts-modal");
      if (modal && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(modal).show();
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (typing) {
      if (event.key === "Escape" && ["reply-body", "id_status"].includes(typing.id)) typing.blur();
      return;
    }
    if (document.querySelector(".modal.show")) return;
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // Collision notice: the presence poll (htmx, every 15 s) says whether this agent typed into the reply
  // box since the last poll; the first keystroke reports at once so colleagues see it quickly.
  const presence = document.getElementById("ticket-presence");
  const typingField = document.getElementById("presence-typing");
  if (!presence || !typingField) return;
  let lastKey = 0;
  document.addEventListener("input", (event) => {
    if (event.target.id !== "reply-body") return;
    const quiet = Date.now() - lastKey > 15000;
    lastKey = Date.now();
    typingField.value = "1";
    if (quiet) window.htmx?.trigger(presence, "presence-typing");
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt === presence && Date.now() - lastKey > 15000) typingField.value = "";
  });
})();

// Sends Django's CSRF token with every htmx request and wires the mobile sidebar.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-crm-sidebar-toggle]");
  if (toggle) document.querySelector(".crm-sidebar")?.classList.toggle("show");
});

// Top-bar search: "/" focuses it; results drop down as you type (htmx), the arrow keys walk
// them, Enter opens one, Escape closes the list.
(() => {
  const form = document.querySelector("[data-quick-search]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const menu = form.querySelector("#quick-search");
  const items = () => [...menu.querySelectorAll(".quick-search-item")];
  const open = () => menu.classList.toggle("show", input.value.trim() !== "" && menu.children.length > 0);
  const close = () => menu.classList.remove("show");
  const move = (step) => {
    const all = items();
    if (!all.length) return;
    const index = all.indexOf(document.activeElement);
    const next = index === -1 ? (step > 0 ? 0 : all.length - 1) : index + step;
    if (next < 0) input.focus();
    else all[Math.min(next, all.length - 1)].focus();
  };
  document.addEventListener("htmx:afterSwap", (event) => { if (event.detail.target === menu) open(); });
  input.addEventListener("input", () => { if (!input.value.trim()) close(); });
  form.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); open(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) { event.preventDefault(); input.focus(); input.select(); }
  });
  document.addEventListener("click", (event) => { if (!form.contains(event.target)) close(); });
  input.addEventListener("focus", open);
  // A search box that already holds a query fetches its dropdown on first focus. (An htmx trigger filter
  // like focus[this.value] would be eval'd, which the Content-Security-Policy forbids.)
  input.addEventListener("focus", () => { if (input.value.trim()) window.htmx?.trigger(input, "prefilled-focus"); });
})();

// Behaviour declared in markup, so pages need no inline script (the Content-Security-Policy forbids it):
// data-confirm="Question?" on a form or button asks first; data-autosubmit on a field submits its form
// when it changes; data-copy="#element-id" copies that field's value and says so.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm ?? event.submitter?.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
document.addEventListener("change", (event) => {
  if (event.target.closest("[data-autosubmit]")) event.target.form?.requestSubmit();
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  navigator.clipboard?.writeText(field.value ?? field.textContent);
  button.dataset.copied = "true";
  const label = button.dataset.copiedLabel;
  if (label) button.textContent = label;
});

// More declarative behaviour for the Content-Security-Policy (no inline handlers anywhere):
// data-select-on-click selects a read-only field's text; data-remove-closest="sel" / data-empty-closest="sel"
// on a button or link removes or empties that ancestor (an htmx-loaded form's Cancel); data-focus-on-show="#id"
// on a Bootstrap modal focuses that field once it opens; data-bs-toggle="tooltip" elements get their tooltip.
document.addEventListener("click", (event) => {
  const select = event.target.closest("[data-select-on-click]");
  if (select) select.select?.();
  const remover = event.target.closest("[data-remove-closest], [data-empty-closest]");
  if (!remover) return;
  event.preventDefault();
  if (remover.dataset.removeClosest) remover.closest(remover.dataset.removeClosest)?.remove();
  else remover.closest(remover.dataset.emptyClosest)?.replaceChildren();
});
document.addEventListener("shown.bs.modal", (event) => {
  const target = event.target.dataset?.focusOnShow;
  if (target) event.target.querySelector(target)?.focus();
});
const initTooltips = (root) => {
  if (!window.bootstrap || !root?.querySelectorAll) return;
  root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((element) => bootstrap.Tooltip.getOrCreateInstance(element));
};
document.addEventListener("DOMContentLoaded", () => initTooltips(document));
document.addEventListener("htmx:load", (event) => initTooltips(event.detail.elt));

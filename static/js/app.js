// Sends Django's CSRF token with every htmx request and wires the mobile sidebar.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-crm-sidebar-toggle]");
  if (toggle) document.querySelector(".crm-sidebar")?.classList.toggle("show");
});

// List pages: row checkboxes feed the bulk-action bar; "select all N matching" switches the
// selection to the list's filters; forms that carry the list's query read the current URL
// (htmx filtering pushes it) so saved views and bulk actions act on what is on screen.
(() => {
  const bulkForm = () => document.getElementById("bulk-form");
  const rows = () => [...document.querySelectorAll("input[data-bulk-row]")];
  const pageBox = () => document.querySelector("input[data-bulk-page]");

  function currentQuery() {
    const params = new URLSearchParams(window.location.search);
    params.delete("after");
    return params.toString();
  }

  function setAll(on) {
    const form = bulkForm();
    if (!form) return;
    form.querySelector("input[name=all]").value = on ? "1" : "0";
    form.querySelector("[data-bulk-all]").classList.toggle("d-none", on);
    form.querySelector("[data-bulk-clear]").classList.toggle("d-none", !on);
  }

  function loadCount(form) {
    const target = form.querySelector("[data-bulk-matching]");
    fetch(`${form.dataset.countUrl}?${currentQuery()}`, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : "…"))
      .then((text) => {
        target.textContent = text;
        form.dataset.matching = text;
        refresh();
      });
  }

  function refresh() {
    const form = bulkForm();
    if (!form) return;
    const boxes = rows();
    const checked = boxes.filter((box) => box.checked).length;
    const all = form.querySelector("input[name=all]").value === "1";
    const label = form.querySelector("[data-bulk-count]");
    if (all) label.textContent = label.dataset.all.replace("N", form.dataset.matching || "…");
    else if (checked) label.textContent = label.dataset.some.replace("N", checked);
    else label.textContent = label.dataset.none;
    form.querySelector("[data-bulk-submit]").disabled = !(all || checked);
    const whole = boxes.length > 0 && checked === boxes.length;
    const banner = document.getElementById("bulk-all-banner");
    const showBanner = whole || all;
    if (banner.classList.contains("d-none") && showBanner) loadCount(form);
    banner.classList.toggle("d-none", !showBanner);
    const box = pageBox();
    if (box) {
      box.checked = whole;
      box.indeterminate = checked > 0 && !whole;
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-bulk-page]")) {
      rows().forEach((box) => { box.checked = event.target.checked; });
      if (!event.target.checked) setAll(false);
      refresh();
    } else if (event.target.matches("input[data-bulk-row]")) {
      if (!event.target.checked) setAll(false);
      refresh();
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-bulk-all]")) {
      event.preventDefault();
      setAll(true);
      refresh();
    } else if (event.target.closest("[data-bulk-clear]")) {
      event.preventDefault();
      setAll(false);
      rows().forEach((box) => { box.checked = false; });
      refresh();
    }
  });

  // The checkboxes sit in the table, outside the bar's <form>: copy the checked ids in on submit.
  document.addEventListener("submit", (event) => {
    const query = event.target.querySelector("input[data-list-query]");
    if (query) query.value = currentQuery();
    if (event.target.id !== "bulk-form") return;
    event.target.querySelectorAll("input[data-copied]").forEach((input) => input.remove());
    if (event.target.querySelector("input[name=all]").value === "1") return;
    rows().filter((box) => box.checked).forEach((box) => {
      const input = document.createElement("input");
      Object.assign(input, { type: "hidden", name: "ids", value: box.value });
      input.dataset.copied = "";
      event.target.appendChild(input);
    });
  }, true);

  // New filters or sort replace the rows: the selection no longer means anything.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id && event.detail.target.id.endsWith("-rows")) setAll(false);
    refresh();
  });
  document.addEventListener("DOMContentLoaded", refresh);
})();

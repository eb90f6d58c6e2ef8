// Deal pages: the board's drag and drop (native HTML5) and the forecast chart (ECharts).
// Board: Dropping a card on a column submits the card's own
// stage form through htmx, so drag and drop, the keyboard and the no-JS form share one endpoint.
(function () {
  let dragged = null;

  function columnOf(target) {
    return target instanceof Element ? target.closest(".kanban-column[data-stage-id]") : null;
  }
  function clearTargets() {
    document.querySelectorAll(".kanban-column.drop-target").forEach((column) => column.classList.remove("drop-target"));
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".kanban-card[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });
  document.addEventListener("dragover", (event) => {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("drop", (event) => {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    clearTargets();
    const form = dragged.querySelector("form[data-move-form]");
    const select = form && form.querySelector("select[name=stage]");
    if (!select || select.value === column.dataset.stageId) return;
    select.value = column.dataset.stageId;
    form.requestSubmit();
  });

  // A lost stage needs a reason: ask before the request leaves; cancelling puts the card back.
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-move-form]")) return;
    const select = form.querySelector("select[name=stage]");
    const option = select.selectedOptions[0];
    if (!option || option.dataset.kind !== "lost") return;
    const reason = window.prompt(form.dataset.lostPrompt || "Why was this deal lost?");
    if (reason === null || !reason.trim()) {
      event.preventDefault();
      select.value = select.dataset.current;
      return;
    }
    event.detail.parameters.lost_reason = reason.trim();
  });
})();

// Forecast: one bar per month, from the data the page embeds with json_script.
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("chart-forecast");
  const source = document.getElementById("chart-forecast-data");
  if (!element || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const chart = echarts.init(element);
  chart.setOption({
    color: ["#2563eb"],
    grid: { left: 70, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value" },
    series: [{ type: "bar", name: data.label, data: data.totals, itemStyle: { borderRadius: [4, 4, 0, 0] } }],
  });
  window.addEventListener("resize", () => chart.resize());
});

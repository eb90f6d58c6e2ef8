// Dashboard charts (ECharts), drawn from data the page embeds with json_script.
(function () {
  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }
  function draw(elementId, option) {
    const element = document.getElementById(elementId);
    if (!element || !window.echarts) return;
    const chart = echarts.init(element);
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  }
  const palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b"];
  document.addEventListener("DOMContentLoaded", () => {
    const revenue = data("chart-revenue-data");
    if (revenue) {
      draw("chart-revenue", {
        color: palette,
        grid: { left: 60, right: 16, top: 16, bottom: 32 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: revenue.months },
        yAxis: { type: "value" },
        series: [{ type: "bar", name: revenue.label, data: revenue.totals, itemStyle: { borderRadius: [4, 4, 0, 0] } }],
      });
    }
    for (const [id, source] of [["chart-lifecycle", "chart-lifecycle-data"], ["chart-interactions", "chart-interactions-data"]]) {
      const slices = data(source);
      if (slices) {
        draw(id, {
          color: palette,
          tooltip: { trigger: "item" },
          legend: { bottom: 0, type: "scroll" },
          series: [{ type: "pie", radius: ["45%", "70%"], center: ["50%", "45%"], data: slices, label: { show: false } }],
        });
      }
    }
  });
})();

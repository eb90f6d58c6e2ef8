// Data-quality trend (ECharts): completeness and invalid values per cleaning run, from json_script data.
(function () {
  const palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b"];
  function draw(elementId, labels, series, axisName, percent) {
    const element = document.getElementById(elementId);
    if (!element || !window.echarts) return;
    const chart = echarts.init(element);
    chart.setOption({
      color: palette,
      grid: { left: 48, right: 16, top: 32, bottom: 84 },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : percent ? v + "%" : v) },
      legend: { bottom: 0, type: "plain" },
      xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
      yAxis: percent ? { type: "value", name: axisName, min: 0, max: 100 } : { type: "value", name: axisName, minInterval: 1 },
      series: series.map((s) => ({ type: "line", name: s.name, data: s.data, symbolSize: 6, connectNulls: true })),
    });
    window.addEventListener("resize", () => chart.resize());
  }
  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("chart-dq-data");
    if (!source) return;
    const trend = JSON.parse(source.textContent);
    draw("chart-dq-completeness", trend.labels, trend.completeness, trend.percent_label, true);
    draw("chart-dq-invalid", trend.labels, trend.invalid, trend.count_label, false);
  });
})();

// Analytics dashboard charts (ECharts): risk and value distributions, segments, revenue, pipeline.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("analytics-dashboard");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const draw = (id, option) => {
    const element = document.getElementById(id);
    if (!element) return;
    const chart = echarts.init(element);
    chart.setOption({ grid: { left: 60, right: 16, top: 16, bottom: 40 }, tooltip: { trigger: "axis" }, color: ["#2563eb"], ...option });
    window.addEventListener("resize", () => chart.resize());
  };
  draw("chart-churn", {
    xAxis: { type: "category", data: data.churn.map((_, i) => `${i * 10}–${i * 10 + 10}%`) },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: data.churn.map((n, i) => ({ value: n, itemStyle: { color: i >= 6 ? "#dc2626" : i >= 3 ? "#f59e0b" : "#16a34a" } })) }],
  });
  draw("chart-value", { xAxis: { type: "category", data: data.value.labels }, yAxis: { type: "value" }, series: [{ type: "bar", data: data.value.counts }] });
  draw("chart-segments", {
    grid: { left: 140, right: 16, top: 8, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.segments.map((row) => row[0]) },
    series: [{ type: "bar", data: data.segments.map((row) => row[1]) }],
  });
  draw("chart-revenue", { xAxis: { type: "category", data: data.revenue.map((row) => row[0]) }, yAxis: { type: "value" }, series: [{ type: "line", smooth: true, areaStyle: {}, data: data.revenue.map((row) => row[1]) }] });
  draw("chart-pipeline", { xAxis: { type: "category", data: data.pipeline.map((row) => row[0]) }, yAxis: { type: "value" }, series: [{ type: "bar", data: data.pipeline.map((row) => row[1]) }] });
});

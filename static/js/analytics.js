// Model card charts: coefficients (signed bars) and the churn calibration plot.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("analytics-charts");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const bars = (id, rows) => {
    const element = document.getElementById(id);
    if (!element || !rows.length) return;
    const chart = echarts.init(element);
    chart.setOption({
      grid: { left: 190, right: 24, top: 8, bottom: 24 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: rows.map((row) => row.label), inverse: true, axisLabel: { width: 180, overflow: "truncate" } },
      series: [{ type: "bar", data: rows.map((row) => ({ value: row.value, itemStyle: { color: row.value >= 0 ? "#2563eb" : "#dc2626" } })) }],
    });
    window.addEventListener("resize", () => chart.resize());
  };
  bars("chart-value-coefficients", data.value || []);
  bars("chart-churn-coefficients", data.churn || []);
  const calibration = document.getElementById("chart-calibration");
  if (calibration && data.calibration && data.calibration.length) {
    const chart = echarts.init(calibration);
    chart.setOption({
      grid: { left: 40, right: 12, top: 12, bottom: 30 },
      tooltip: { trigger: "item" },
      xAxis: { type: "value", min: 0, max: 1, name: "predicted", nameLocation: "middle", nameGap: 20 },
      yAxis: { type: "value", min: 0, max: 1 },
      series: [
        { type: "line", data: [[0, 0], [1, 1]], lineStyle: { type: "dashed", color: "#94a3b8" }, symbol: "none" },
        { type: "line", data: data.calibration.map((row) => [row.predicted, row.observed]), color: "#2563eb" },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
});

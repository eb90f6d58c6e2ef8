// Campaign results: unique opens and clicks per hour (ECharts).
(function () {
  "use strict";
  var holder = document.getElementById("campaign-chart");
  var source = document.getElementById("campaign-chart-data");
  if (!holder || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [holder.dataset.opens || "Opens", holder.dataset.clicks || "Clicks"] },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.hours },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: holder.dataset.opens || "Opens", type: "bar", data: data.opens },
      { name: holder.dataset.clicks || "Clicks", type: "line", data: data.clicks, smooth: true },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

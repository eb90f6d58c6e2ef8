// Feedback report: items per month, stacked by type (ECharts). Data comes from a json_script block.
(function () {
  "use strict";
  var holder = document.getElementById("feedback-trend");
  var source = document.getElementById("feedback-trend-data");
  if (!holder || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var colors = { feature_request: "#0d6efd", bug: "#dc3545", praise: "#198754" };
  var chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "all", data: s.data, itemStyle: { color: colors[s.kind] } };
    }),
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

// Service metrics: tickets created and solved per day, and new tickets by channel (ECharts).
// The data comes from the json_script block "metrics-data"; nothing inline.
(function () {
  "use strict";
  var source = document.getElementById("metrics-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = [];

  var volume = document.getElementById("metrics-volume");
  if (volume) {
    var daily = window.echarts.init(volume);
    daily.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.labels.created, type: "bar", data: data.created, itemStyle: { color: "#0d6efd" } },
        { name: data.labels.solved, type: "line", data: data.solved, itemStyle: { color: "#198754" } },
      ],
    });
    charts.push(daily);
  }

  var channels = document.getElementById("metrics-channels");
  if (channels && data.channels.length) {
    var pie = window.echarts.init(channels);
    pie.setOption({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"], data: data.channels, label: { show: false } }],
    });
    charts.push(pie);
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();

// The evaluation page's trend chart: each department's score over the last periods.
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("eval-chart"), src = document.getElementById("eval-chart-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent || "{}") || {};
    if (!data.periods) return;
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 10, bottom: 30, top: 40 },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", min: 0, max: 100 },
      series: (data.series || []).map(function (s) { return { name: s.name, type: "line", connectNulls: false, data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  window.addEventListener("load", draw);
})();

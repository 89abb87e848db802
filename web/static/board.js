// The supervisor board's chart: open and overdue tickets per department, redrawn whenever the
// live counts are refreshed.
(function () {
  "use strict";
  var chart;
  function draw() {
    var el = document.getElementById("chart"), src = document.getElementById("counts-data");
    if (!el || !src || !window.echarts) return;
    var rows = JSON.parse(src.textContent || "[]") || [];
    if (!chart) chart = echarts.init(el);
    var zh = document.documentElement.lang !== "en";
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: zh ? ["在办", "超期", "今日办结"] : ["Open", "Overdue", "Resolved today"] },
      grid: { left: 40, right: 10, bottom: 80, top: 36 },
      xAxis: { type: "category", data: rows.map(function (r) { return zh ? r.name_zh : (r.name_en || r.name_zh); }), axisLabel: { rotate: 30, fontSize: 11 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: zh ? "在办" : "Open", type: "bar", data: rows.map(function (r) { return r.open; }) },
        { name: zh ? "超期" : "Overdue", type: "bar", data: rows.map(function (r) { return r.overdue; }), itemStyle: { color: "#c4321f" } },
        { name: zh ? "今日办结" : "Resolved today", type: "bar", data: rows.map(function (r) { return r.resolved_today; }), itemStyle: { color: "#1a7f37" } }
      ]
    });
  }
  window.addEventListener("load", draw);
  // The counts arrive pushed over the live stream (sse-swap="counts"), or from the slow
  // fallback poll.
  document.addEventListener("htmx:afterSwap", function (e) { if (e.target.id === "counts-box") draw(); });
  document.addEventListener("htmx:sseMessage", function (e) { if (e.target.id === "counts-box") draw(); });
  window.addEventListener("resize", function () { if (chart) chart.resize(); });
})();

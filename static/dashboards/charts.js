/* Draws every dashboard chart with the vendored Apache ECharts: each [data-chart] element names the
   <script type="application/json"> holding its data (categories and series, built by the server from the
   same table shown under it). Labels arrive translated; ECharts' own texts follow the page language. */
(function () {
  "use strict";
  var lang = (document.documentElement.lang || "en").toLowerCase();
  var locale = lang.indexOf("zh") === 0 ? "ZH" : "EN";
  var charts = [];

  function option(data) {
    var percent = data.percent;
    var axisLabel = percent ? { formatter: "{value} %" } : {};
    if (data.type === "pie") {
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0, type: "scroll" },
        series: [{
          type: "pie", radius: ["35%", "65%"],
          data: data.categories.map(function (name, i) { return { name: name, value: data.series[0].data[i] }; })
        }]
      };
    }
    var stack = data.type === "stack";
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 48, right: 16, top: 16, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", max: percent ? 100 : null, axisLabel: axisLabel, minInterval: percent ? 0 : 1 },
      series: data.series.map(function (serie) {
        return {
          name: serie.name,
          type: data.type === "line" ? "line" : "bar",
          stack: stack ? "total" : null,
          connectNulls: false,
          data: serie.data
        };
      })
    };
  }

  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = echarts.init(element, null, { locale: locale, renderer: "canvas" });
      chart.setOption(option(JSON.parse(source.textContent)));
      element.setAttribute("data-drawn", "true");
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());

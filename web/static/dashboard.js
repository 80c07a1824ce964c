// Dashboard charts (Apache ECharts, served by the app). Every bar and slice links to the cases behind it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var ctx = JSON.parse(document.getElementById("dashboard-links").textContent);
  var L = data.labels;

  function drillUrl(figure, group, value) {
    var q = new URLSearchParams({figure: figure, period: ctx.period});
    ["process", "department", "area"].forEach(function (k) { if (ctx[k]) { q.set(k, ctx[k]); } });
    if (group) { q.set("group", group); q.set("value", value === null || value === undefined ? "" : value); }
    return ctx.drill + "?" + q.toString();
  }

  // the page's own font, named: ECharts measures its words with it (with "inherit" it measured another font's and
  // set a legend's words over the next item's)
  var FONT = getComputedStyle(document.body).fontFamily;

  function chart(id, option, link) {
    var node = document.getElementById(id);
    if (!node || typeof echarts === "undefined") { return null; }
    var c = echarts.init(node, null, {renderer: "svg", locale: ctx.locale});
    c.setOption(Object.assign({animation: false, tooltip: {trigger: "item"}, textStyle: {fontFamily: FONT}}, option));
    if (link) { c.on("click", function (p) { var url = link(p); if (url) { window.location.href = url; } }); }
    node.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  // the words stay inside a chart in English too (Human Resources and Social Security Bureau, School admission by
  // points (joint review)): the axes make room for their labels, long names break into lines instead of being cut,
  // an axis's name reaches inwards and the legend stands below, clear of the axes' names
  var GRID = {left: 8, right: 8, top: 40, bottom: 32, containLabel: true}, LEGEND = {bottom: 0};
  var DEPT_GRID = Object.assign({}, GRID, {left: 64});  // the first department's name, slanted, reaches left
  var PIE_LABEL = {overflow: "break", alignTo: "edge", edgeDistance: 4, lineHeight: 15};
  // the months named as the reader writes them (2026年11月, November 2026, Nov 2026 under the axis); a click
  // drills into the month's code (2026-11)
  var months = data.trend.map(function (m) { return m.name; });
  chart("chart-trend", {
    tooltip: {trigger: "axis"}, legend: Object.assign({data: [L.handling, L.accepted]}, LEGEND), grid: GRID,
    xAxis: {type: "category", data: months,
            axisLabel: {formatter: function (name, i) { return data.trend[i] ? data.trend[i].short : name; }}},
    yAxis: [{type: "value", name: L.handling, nameTextStyle: {align: "left"}},
            {type: "value", name: L.accepted, nameTextStyle: {align: "right"}}],
    series: [
      {name: L.handling, type: "line", data: data.trend.map(function (m) { return m.handling.avg === undefined ? null : m.handling.avg; })},
      {name: L.accepted, type: "bar", yAxisIndex: 1, data: data.trend.map(function (m) { return m.accepted; })}
    ]
  }, function (p) { return drillUrl(p.seriesIndex === 0 ? "handling" : "accepted").replace("period=" + encodeURIComponent(ctx.period), "period=" + data.trend[p.dataIndex].month); });

  var depts = Object.keys(data.steps);
  var deptAxis = {type: "category", data: depts,  // codes (the links use them), shown by name, every one of them
    axisLabel: {interval: 0, rotate: depts.length > 6 ? 60 : 0, width: 160, overflow: "break",
                formatter: function (c) { return data.departments[c] || c; }}};
  chart("chart-on-time", {
    grid: DEPT_GRID, xAxis: deptAxis, yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
    series: [{name: L.on_time, type: "bar", data: depts.map(function (d) {
      var r = data.steps[d].on_time.rate; return r === undefined ? null : Math.round(r * 1000) / 10; })}]
  }, function (p) { return drillUrl("completed", "department", p.name); });

  chart("chart-overdue", {
    tooltip: {trigger: "axis"}, legend: Object.assign({data: [L.overdue, L.escalations]}, LEGEND), grid: DEPT_GRID,
    xAxis: deptAxis, yAxis: {type: "value", minInterval: 1},
    series: [
      {name: L.overdue, type: "bar", data: depts.map(function (d) { return data.steps[d].overdue_now; })},
      {name: L.escalations, type: "bar", data: depts.map(function (d) { return data.steps[d].escalations; })}
    ]
  }, function (p) { return drillUrl(p.seriesIndex === 0 ? "overdue" : "escalated", "department", p.name); });

  var areas = Object.keys(data.volume.by_area);
  chart("chart-area", {
    grid: GRID, xAxis: {type: "category", data: areas.map(function (a) { return data.areas[a] || a; }),  // "" named 未填写
      axisLabel: {interval: 0, rotate: areas.length > 6 ? 30 : 0}},
    yAxis: {type: "value", minInterval: 1},
    series: [{name: L.by_area, type: "bar", data: areas.map(function (a) { return data.volume.by_area[a]; })}]
  }, function (p) { return drillUrl("accepted", "area", areas[p.dataIndex]); });

  chart("chart-process", {
    series: [{name: L.by_process, type: "pie", radius: ["30%", "60%"], label: PIE_LABEL, data: Object.keys(data.volume.accepted).map(function (k) {
      return {name: data.processes[k] || k, value: data.volume.accepted[k], key: k}; })}]
  }, function (p) { return drillUrl("accepted", "process", p.data.key); });

  chart("chart-category", {
    tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
    series: [{name: L.by_category, type: "pie", radius: "60%", label: PIE_LABEL, data: Object.keys(data.volume.by_category).map(function (k) {
      return {name: data.categories[k] || k, value: data.volume.by_category[k].count, key: k}; })}]
  }, function (p) { return drillUrl("accepted", "category", p.data.key); });
}());

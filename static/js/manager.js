// The manager workspace: dashboard charts from json_script data, drill-down on click, and the
// bulk selection of the case list. No inline scripts (CSP).
(function () {
  "use strict";

  function chartData() {
    const el = document.getElementById("manager-chart-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function drillOnClick(links) {
    return function (event, elements) {
      if (elements.length && links && links[elements[0].index]) {
        window.location.href = links[elements[0].index];
      }
    };
  }

  const palette = ["#1f5fbf", "#17803d", "#a15c00", "#b42318", "#6941c6", "#0e7490", "#5b6475",
    "#c11574", "#4d7c0f", "#9a3412", "#1d4ed8", "#0f766e"];

  function renderCharts() {
    const data = chartData();
    if (!data || typeof window.Chart === "undefined") return;
    const Chart = window.Chart;
    const canvas = (name) => document.querySelector(`canvas[data-chart="${name}"]`);
    const common = { responsive: true, maintainAspectRatio: false, animation: false };

    const c = canvas("collectors");
    if (c && data.collectors) {
      new Chart(c, {
        type: "bar",
        data: {
          labels: data.collectors.labels,
          datasets: [
            { label: data.collectors.label_collected, data: data.collectors.collected, backgroundColor: "#1f5fbf" },
            { label: data.collectors.label_target, data: data.collectors.target, backgroundColor: "#c7d2e3" },
          ],
        },
        options: { ...common, onClick: drillOnClick(data.collectors.links) },
      });
    }
    const b = canvas("buckets");
    if (b && data.buckets) {
      new Chart(b, {
        type: "bar",
        data: {
          labels: data.buckets.labels,
          datasets: [
            { label: data.buckets.label_balance, data: data.buckets.balance, backgroundColor: "#a15c00", yAxisID: "y" },
            { label: data.buckets.label_cases, data: data.buckets.cases, backgroundColor: "#17803d", yAxisID: "y1" },
          ],
        },
        options: {
          ...common,
          onClick: drillOnClick(data.buckets.links),
          scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } },
        },
      });
    }
    const r = canvas("recovery");
    if (r && data.recovery && data.recovery.series.length) {
      const longest = Math.max(...data.recovery.series.map((s) => s.data.length));
      new Chart(r, {
        type: "line",
        data: {
          labels: Array.from({ length: longest }, (_, i) => String(i)),
          datasets: data.recovery.series.map((s, i) => ({
            label: s.label, data: s.data, borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length], spanGaps: true, tension: 0.2,
          })),
        },
        options: {
          ...common,
          scales: {
            x: { title: { display: true, text: data.recovery.label_x } },
            y: { title: { display: true, text: data.recovery.label_y }, beginAtZero: true },
          },
        },
      });
    }
  }

  function bindSelection() {
    const form = document.querySelector("[data-select-all-scope]");
    if (!form) return;
    const all = form.querySelector("[data-select-all]");
    const boxes = () => Array.from(form.querySelectorAll('input[type="checkbox"][name="cases"]'));
    const counter = form.querySelector("[data-selection-count]");
    const button = form.querySelector("[data-requires-selection]");
    const template = counter ? counter.textContent : "";
    function update() {
      const n = boxes().filter((b) => b.checked).length;
      if (button) button.disabled = n === 0;
      if (counter) counter.textContent = n ? `${n} ✓` : template;
    }
    if (all) {
      all.addEventListener("change", () => {
        boxes().forEach((b) => { b.checked = all.checked; });
        update();
      });
    }
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    renderCharts();
    bindSelection();
  });
})();

// The console's one script of its own. Pages work without it: it only adds copy buttons and
// draws the verdicts-per-day chart from the table beside it (uPlot), again whenever htmx swaps
// the chart in afresh (the overview refreshes every minute). No inline code anywhere, so the
// Content-Security-Policy can stay `script-src 'self'`.
"use strict"
;(() => {
  const copy = (button) => {
    const value = button.getAttribute("data-copy")
    if (value === null || !navigator.clipboard) return
    navigator.clipboard.writeText(value).then(
      () => { button.textContent = "Copied" },
      () => { button.textContent = "Copy failed" }
    )
  }
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest("button[data-copy]") : null
    if (target !== null) copy(target)
  })

  // The chart drawn now: destroyed before the next one (uPlot listens on window for resizes).
  let plot = null
  const replace = (next) => {
    if (plot !== null) plot.destroy()
    plot = next
  }

  const COLOURS = { pass: "#1a7f37", warn: "#9a6700", fail: "#cf222e", error: "#8250df" }
  // Bars by row (the impact report's rules): x is the row's position, labelled with its header.
  const drawBars = (table, holder) => {
    const rows = Array.from(table.querySelectorAll("tbody tr"))
    const labels = rows.map((row) => row.querySelector("th")?.textContent ?? "")
    const name = table.querySelectorAll("thead th")[1]?.textContent ?? ""
    const values = rows.map((row) => Number(row.querySelector("td")?.textContent ?? "0"))
    holder.textContent = ""
    replace(new window.uPlot({
      width: Math.max(320, holder.clientWidth || 720),
      height: 220,
      scales: { x: { time: false, range: [-0.5, rows.length - 0.5] } },
      series: [{}, { label: name, stroke: COLOURS.fail, fill: COLOURS.fail, paths: window.uPlot.paths.bars({ size: [0.6, 80] }) }],
      axes: [{ values: (_u, splits) => splits.map((i) => labels[i] ?? "") , splits: () => rows.map((_, i) => i) }, { label: name }]
    }, [rows.map((_, i) => i), values], holder))
  }

  const drawChart = () => {
    const table = document.querySelector("table[data-chart]")
    const holder = table === null ? null : document.getElementById(table.getAttribute("data-chart") ?? "")
    if (table === null || holder === null || typeof window.uPlot !== "function") return
    if (table.getAttribute("data-chart-kind") === "bars") return drawBars(table, holder)
    const names = Array.from(table.querySelectorAll("thead th")).slice(1).map((th) => th.textContent ?? "")
    const rows = Array.from(table.querySelectorAll("tbody tr"))
    const xs = rows.map((row) => Date.parse(`${row.querySelector("th")?.textContent ?? ""}T00:00:00Z`) / 1000)
    const series = names.map((_, i) => rows.map((row) => Number(row.querySelectorAll("td")[i]?.textContent ?? "0")))
    holder.textContent = ""
    replace(new window.uPlot({
      width: Math.max(320, holder.clientWidth || 720),
      height: 220,
      series: [{}, ...names.map((name) => ({ label: name, stroke: COLOURS[name] ?? "#555", width: 2 }))],
      axes: [{}, { label: "evaluations" }]
    }, [xs, ...series], holder))
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawChart)
  else drawChart()
  // htmx 4 dispatches its events on the document once the swapped-out element is gone. Only a
  // swap that replaced the chart (its drawing is no longer in the page) needs a new drawing; a
  // comment posted on a passport page leaves no chart to draw.
  document.addEventListener("htmx:after:swap", () => {
    if (plot === null || !plot.root.isConnected) drawChart()
  })
})()

// The console's one script of its own. Pages work without it: it only adds copy buttons and
// draws the verdicts-per-day chart from the table beside it (uPlot). No inline code anywhere,
// so the Content-Security-Policy can stay `script-src 'self'`.
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

  const COLOURS = { pass: "#1a7f37", warn: "#9a6700", fail: "#cf222e", error: "#8250df" }
  const drawChart = () => {
    const table = document.querySelector("table[data-chart]")
    const holder = table === null ? null : document.getElementById(table.getAttribute("data-chart") ?? "")
    if (table === null || holder === null || typeof window.uPlot !== "function") return
    const names = Array.from(table.querySelectorAll("thead th")).slice(1).map((th) => th.textContent ?? "")
    const rows = Array.from(table.querySelectorAll("tbody tr"))
    const xs = rows.map((row) => Date.parse(`${row.querySelector("th")?.textContent ?? ""}T00:00:00Z`) / 1000)
    const series = names.map((_, i) => rows.map((row) => Number(row.querySelectorAll("td")[i]?.textContent ?? "0")))
    holder.textContent = ""
    // eslint-disable-next-line no-new
    new window.uPlot({
      width: Math.max(320, holder.clientWidth || 720),
      height: 220,
      series: [{}, ...names.map((name) => ({ label: name, stroke: COLOURS[name] ?? "#555", width: 2 }))],
      axes: [{}, { label: "evaluations" }]
    }, [xs, ...series], holder)
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawChart)
  else drawChart()
})()

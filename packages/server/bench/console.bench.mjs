// npm run bench:console: the console's pages next to the JSON routes that serve the same data,
// on the same server in the same run. Fills 10 000 passports and 100 000 evidence rows (see
// fill.mjs), starts the BUILT server, signs in once (the console and the API share the session
// cookie), and prints p50/p99 and requests/s for: the passports page vs GET /passports, the
// passport detail page vs GET /passports/{id} (rotating ids), and the overview page (no single
// JSON twin). Goal: each page at most 1.5x its JSON route. Also prints the gzipped size of every
// script the pages load (goal: 40 KB together). SQLite, and PostgreSQL when reachable.
// Bounded: BENCH_DURATION_S seconds per route (default 20, so 5 s rounds: a p99 over the
// ~300 requests of a shorter round is its 4th-slowest request, and one stall moves a ratio by
// half), BENCH_CONNECTIONS (default 4). About 6 minutes with PostgreSQL.
// A page and its JSON route are measured in alternating rounds (JSON, page, page, JSON) and
// each figure is the median over its rounds, so that a load swing on a shared machine falls on
// both sides of a ratio instead of on one.
import { gzipSync } from "node:zlib"
import { expectAllOk, filledServerWithReader, load, machineLine, onEachDatabase, runBench } from "./support.mjs"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4)
const BASE = "/releasepassport/v1"

/** Every script the overview loads (it loads the most), gzipped as a browser would receive it. */
const scriptSizes = async (url, cookie) => {
  const html = await (await fetch(`${url}/console`, { headers: { cookie } })).text()
  const sizes = []
  for (const [, src] of html.matchAll(/<script src="([^"]+)"/g)) {
    const body = Buffer.from(await (await fetch(`${url}${src}`)).arrayBuffer())
    sizes.push({ src, raw: body.length, gzip: gzipSync(body, { level: 9 }).length })
  }
  return sizes
}

const measureTarget = async (label, database, cleanup) => {
  console.log(`${label}:`)
  const { ids, server, cookie } = await filledServerWithReader(database, cleanup)
  let nextJson = 0
  let nextPage = 0
  const pairs = [
    ["passports, first page", `${BASE}/passports`, "/console/passports"],
    ["passports, filtered", `${BASE}/passports?environment=production&verdict=fail`, "/console/passports?environment=production&verdict=fail"],
    ["detail (rotating ids)", { path: () => `${BASE}/passports/${ids[(nextJson += 7919) % ids.length]}` }, { path: () => `/console/passports/${ids[(nextPage += 7919) % ids.length]}` }],
    ["overview (page only)", undefined, "/console"]
  ]
  const options = (target) => typeof target === "string" ? { url: `${server.url}${target}` } : { url: `${server.url}/`, ...target }
  const once = async (name, target, durationS) =>
    expectAllOk(`${label} ${name}`, await load({ ...options(target), headers: { cookie }, connections: CONNECTIONS, durationS }))
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const summary = (runs) => ({
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    perSecond: median(runs.map((r) => r.perSecond))
  })
  const ROUNDS = 4
  const rows = []
  for (const [name, json, page] of pairs) {
    const runs = { json: [], page: [] }
    for (const target of [json, page]) if (target !== undefined) await once(`${name} warm-up`, target, 1)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ["json", "page"] : ["page", "json"]
      for (const kind of order) {
        const target = kind === "json" ? json : page
        if (target !== undefined) runs[kind].push(await once(`${name} ${kind}`, target, Math.max(1, DURATION_S / ROUNDS)))
      }
    }
    rows.push({ name, json: json === undefined ? undefined : summary(runs.json), page: summary(runs.page) })
  }
  const scripts = await scriptSizes(server.url, cookie)
  await server.stop()
  const f = (n) => n.toFixed(2).padStart(8)
  console.log(`  ${"route".padEnd(24)} ${"JSON p50".padStart(8)} ${"p99".padStart(8)} ${"page p50".padStart(8)} ${"p99".padStart(8)} ${"page req/s".padStart(10)}   page/JSON p50  p99`)
  for (const { name, json, page } of rows) {
    console.log(
      `  ${name.padEnd(24)} ${json ? f(json.p50) : "       -"} ${json ? f(json.p99) : "       -"} ${f(page.p50)} ${f(page.p99)} ${page.perSecond.toFixed(0).padStart(10)}   ` +
        (json ? `${(page.p50 / json.p50).toFixed(2).padStart(12)}x ${(page.p99 / json.p99).toFixed(2).padStart(5)}x` : "")
    )
  }
  const total = scripts.reduce((n, s) => n + s.gzip, 0)
  for (const s of scripts) console.log(`  script ${s.src}: ${(s.raw / 1024).toFixed(1)} KB, ${(s.gzip / 1024).toFixed(1)} KB gzipped`)
  console.log(`  all JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (goal <= 40 KB): ${total <= 40 * 1024 ? "ok" : "OVER"}`)
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${DURATION_S} s per route in 4 alternating rounds after 1 s warm-up (medians of the rounds), loopback`)
  await onEachDatabase(cleanup, measureTarget)
})

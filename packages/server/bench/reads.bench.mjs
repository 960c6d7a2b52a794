// npm run bench:reads: the console's read routes on a full workspace. Fills 10 000 passports
// (with their stamps and evaluations) and 100 000 evidence rows straight into the database,
// starts the BUILT server, signs in, and prints p50/p99 and requests/s for the passport list
// (first page, a filtered page, a page 9 000 rows deep) and the passport detail, next to
// GET /auth/session on the same server in the same run: the same session check with no
// passport query, so the ratio is what the reads themselves cost. SQLite, and PostgreSQL
// when reachable. Bounded: BENCH_DURATION_S seconds per route (default 5), BENCH_CONNECTIONS
// connections (default 4); BENCH_PASSPORTS / BENCH_EVIDENCE_PER_PASSPORT change the fill.
import { expectAllOk, filledServerWithReader, load, machineLine, onEachDatabase, runBench } from "./support.mjs"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4)
const BASE = "/releasepassport/v1"

/** The cursor after `rows` rows, by walking the list like a client would. */
const deepCursor = async (url, cookie, rows) => {
  let cursor = null
  for (let seen = 0; seen < rows; seen += 200) {
    const page = await (await fetch(`${url}${BASE}/passports?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { headers: { cookie } })).json()
    cursor = page.nextCursor
  }
  return cursor
}

const measureTarget = async (label, database, cleanup) => {
  console.log(`${label}:`)
  const { ids, server, cookie } = await filledServerWithReader(database, cleanup)
  const cursor = await deepCursor(server.url, cookie, 9_000)
  let next = 0
  const routes = [
    ["GET /auth/session (baseline)", { url: `${server.url}${BASE}/auth/session` }],
    ["list, first page (50)", { url: `${server.url}${BASE}/passports` }],
    ["list, filtered page", { url: `${server.url}${BASE}/passports?environment=production&verdict=fail&namespace=team-7` }],
    ["list, 9000 rows deep", { url: `${server.url}${BASE}/passports?cursor=${cursor}` }],
    ["detail (rotating ids)", { url: `${server.url}${BASE}/passports/${ids[0]}`, path: () => `${BASE}/passports/${ids[(next += 7919) % ids.length]}` }]
  ]
  const results = []
  for (const [name, options] of routes) {
    await load({ ...options, headers: { cookie }, connections: CONNECTIONS, durationS: 1 })
    results.push({ name, ...expectAllOk(`${label} ${name}`, await load({ ...options, headers: { cookie }, connections: CONNECTIONS, durationS: DURATION_S })) })
  }
  await server.stop()
  const [baseline] = results
  console.log(`  ${"route".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}   vs baseline: p50    p99`)
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(30)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}   ` +
        `${(r.p50 / baseline.p50).toFixed(1).padStart(15)}x ${(r.p99 / baseline.p99).toFixed(1).padStart(6)}x`
    )
  }
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${DURATION_S} s per route after 1 s warm-up, loopback`)
  await onEachDatabase(cleanup, measureTarget)
})

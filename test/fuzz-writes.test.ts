import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BASE, cli, createToken, passingGateRequest, rawPost, rowCounts, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * A bounded fuzz run of the two pipeline write routes and the sign-in route, on every
 * database, over loopback: bodies derived from valid ones by random mutations (any JSON value
 * in any place, odd strings with NUL, lone surrogates and control characters, missing and extra
 * keys, deep nesting) and some that are not JSON at all. Whatever comes in: never a 5xx, no
 * row written without a 2xx, and the server healthy after. The seed is printed; set
 * RELEASEPASSPORT_FUZZ_SEED to replay or vary it, RELEASEPASSPORT_FUZZ_RUNS for the count.
 */
const SEED = Number(process.env["RELEASEPASSPORT_FUZZ_SEED"] ?? 20261201)
const RUNS = Number(process.env["RELEASEPASSPORT_FUZZ_RUNS"] ?? 400)
const PASSWORD = "correct horse battery staple"
// Counters a refusal may move (sign-in attempts, a clean source's rejection count).
const COUNTERS = new Set(["login_throttles", "connector_rejections", "connectors"])

const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udc00", "\u202e", "", " ", "../../etc/passwd", "%00", "null", "1e309", "\\u0000")
)
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  oddString,
  fc.integer({ min: 1, max: 200 }).map((depth) => {
    let value: unknown = "deep"
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { d: value } : [value]
    return value
  })
)

type Json = Record<string, unknown>
const paths = (value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> => {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))]
  if (typeof value === "object" && value !== null) return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))]
  return [prefix]
}
const setAt = (root: Json, path: ReadonlyArray<string | number>, value: unknown, remove: boolean): unknown => {
  if (path.length === 0) return value
  const copy: any = structuredClone(root)
  let node = copy
  for (const key of path.slice(0, -1)) node = node[key]
  if (remove) delete node[path.at(-1)!]
  else node[path.at(-1)!] = value
  return copy
}

/** A valid body with up to three mutations, or something that is not JSON at all. */
const mutated = (valid: () => Json): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.tuple(fc.nat(), anyJson, fc.boolean(), fc.option(oddString)), { minLength: 1, maxLength: 3 }).map((steps) => {
      let body: unknown = valid()
      for (const [pick, value, remove, extraKey] of steps) {
        if (typeof body !== "object" || body === null) break
        const all = paths(body)
        const path = all[pick % all.length]!
        body = extraKey !== null ? setAt(body as Json, [...path.slice(0, -1), extraKey], value, false) : setAt(body as Json, path, value, remove && path.length > 0)
      }
      return JSON.stringify(body)
    }) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), anyJson.map((v) => JSON.stringify(v) ?? "")) },
    { weight: 1, arbitrary: fc.constant(null).map(() => JSON.stringify(valid())) }
  )

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`fuzzed writes (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let database: SqlDatabase<Tables>
    let token: string

    beforeAll(async () => {
      console.log(`fuzz seed ${SEED} (RELEASEPASSPORT_FUZZ_SEED), ${RUNS} runs per route (RELEASEPASSPORT_FUZZ_RUNS)`)
      testDb = await choice.create()
      expect((await cli(["migrate", "--database", testDb.url])).code).toBe(0)
      const made = await cli(["user", "create", "--database", testDb.url, "--email", "fuzz@example.com", "--workspace", "default", "--role", "viewer"], { input: `${PASSWORD}\n` })
      expect(made.code, made.stderr).toBe(0)
      token = (await createToken(testDb.url, "--workspace", "default", "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
      // A tiny sign-in limit: most fuzzed sign-ins are then refused before any scrypt work.
      server = await startServer({ database: testDb.url, args: ["--login-max-failures-per-address", "5"] })
      database = await openDatabase(testDb.url)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })

    const withoutCounters = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).filter(([table]) => !COUNTERS.has(table)))

    const fuzz = (route: string, valid: () => Json, headers: () => Record<string, string>, runs: number) => async () => {
      let counts = withoutCounters(await rowCounts(database))
      const statuses = new Map<number, number>()
      await fc.assert(
        fc.asyncProperty(mutated(valid), async (body) => {
          const answer = await rawPost(`${server.url}${BASE}${route}`, body, headers())
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          expect(answer.status, `${answer.status} for ${body.slice(0, 300)}`).toBeLessThan(500)
          const now = withoutCounters(await rowCounts(database))
          if (answer.status >= 300) expect(now, `rows written for a ${answer.status}: ${body.slice(0, 300)}`).toEqual(counts)
          counts = now
        }),
        { seed: SEED, numRuns: runs, endOnFailure: true }
      )
      expect((await fetch(`${server.url}${BASE}/healthz`)).status).toBe(200)
      console.log(`${choice.adapter} ${route}: ${[...statuses].sort().map(([s, n]) => `${n}×${s}`).join(" ")}`)
    }

    const evidence = () => ({
      source: "fuzz",
      externalId: `run-${Math.random().toString(36).slice(2)}`,
      service: { name: "checkout-api", namespace: "apps-checkout" },
      release: { releaseId: "rel-fuzz", sourceSha: "9f3c8b7" },
      artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
      evidence: [{ type: "smoke", status: "passed", summary: "smoke passed", url: "https://ci.example.com/1", details: { n: 1 } }]
    })

    it("evidence/ingest", fuzz("/evidence/ingest", evidence, () => ({ authorization: `Bearer ${token}` }), RUNS), 120_000)
    it("gate/evaluate", fuzz("/gate/evaluate", () => passingGateRequest() as unknown as Json, () => ({ authorization: `Bearer ${token}` }), RUNS), 120_000)
    it("auth/login", fuzz("/auth/login", () => ({ email: "fuzz@example.com", password: "wrong password" }), () => ({}), Math.ceil(RUNS / 4)), 120_000)
  })
}

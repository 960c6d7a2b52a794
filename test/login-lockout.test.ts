import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, login, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * The sign-in lock under concurrency: an attempt is counted before its password is checked,
 * so however many sign-ins arrive at once (on one replica or several sharing a database), at
 * most the configured number of passwords are checked per account per window. 401 is the
 * answer of a checked wrong password; 429 the answer of one that was never checked.
 */
const PASSWORD = "correct horse battery staple"
const LIMIT = 5
const WINDOW_S = 3
const ARGS = ["--login-max-failures-per-account", String(LIMIT), "--login-max-failures-per-address", "1000", "--login-throttle-window", `${WINDOW_S}s`]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const statuses = (answers: ReadonlyArray<{ readonly status: number }>) => {
  const count: Record<number, number> = {}
  for (const a of answers) count[a.status] = (count[a.status] ?? 0) + 1
  return count
}

const burst = (urls: ReadonlyArray<string>, email: string, size: number) =>
  Promise.all(Array.from({ length: size }, (_, i) => login(urls[i % urls.length]!, email, `wrong password ${i}`)))

/** Waits out a lock: the window, plus the lock the first refusal set, plus scheduling slack. */
const waitOut = () => sleep(2 * WINDOW_S * 1000 + 500)

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`sign-in lock under concurrency (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let servers: Array<RunningServer> = []

    beforeAll(async () => {
      testDb = await choice.create()
      expect((await cli(["migrate", "--database", testDb.url])).code).toBe(0)
      for (const name of ["burst", "lastright", "replicas"]) {
        const made = await cli(["user", "create", "--database", testDb.url, "--email", `${name}@example.com`, "--workspace", "default", "--role", "viewer"], { input: `${PASSWORD}\n` })
        expect(made.code, made.stderr).toBe(0)
      }
      servers = [await startServer({ database: testDb.url, args: ARGS })]
      // Two replicas sharing one database only mean something where the database is shared.
      if (choice.adapter === "postgres") servers.push(await startServer({ database: testDb.url, args: ARGS }))
    })
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()))
      await testDb?.drop()
    })

    it("checks at most the limit of 25 parallel wrong sign-ins, also once the window has run out", async () => {
      const first = statuses(await burst([servers[0]!.url], "burst@example.com", 25))
      expect(first[500]).toBeUndefined()
      expect(first[401]).toBe(LIMIT)
      expect(first[429]).toBe(25 - LIMIT)
      await waitOut()
      const again = statuses(await burst([servers[0]!.url], "burst@example.com", 25))
      expect(again[401]).toBe(LIMIT)
      expect(again[429]).toBe(25 - LIMIT)
    }, 60_000)

    it("refuses the right password when it comes last in a burst", async () => {
      const url = servers[0]!.url
      const wrong = burst([url], "lastright@example.com", 15)
      // The wrong ones are on their way (being hashed) when the right one arrives.
      await sleep(150)
      const right = await login(url, "lastright@example.com", PASSWORD)
      expect(statuses(await wrong)[401]).toBe(LIMIT)
      expect(right).toMatchObject({ status: 429, json: { code: "auth.throttled" } })
      expect(right.setCookie).toBeUndefined()
      // Once the lock is over, the right password signs in and starts the count again.
      await waitOut()
      expect((await login(url, "lastright@example.com", PASSWORD)).status).toBe(204)
      expect(statuses(await burst([url], "lastright@example.com", 8))[401]).toBe(LIMIT)
    }, 60_000)

    it.skipIf(choice.adapter !== "postgres")("two replicas on one database check at most the limit between them", async () => {
      const answers = await burst(servers.map((s) => s.url), "replicas@example.com", 24)
      expect(statuses(answers)[401]).toBe(LIMIT)
      expect(statuses(answers)[429]).toBe(24 - LIMIT)
    }, 60_000)
  })
}

import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SqlDatabase, Stores, Tables } from "../src/index.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * Conformance of the account stores (users and memberships, sessions, login throttles),
 * run against every adapter like the rest of the store suite.
 */
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const NOW = new Date("2026-11-28T12:00:00.000Z")
const later = (ms: number) => new Date(NOW.getTime() + ms)
const MINUTE = 60_000

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`account stores on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>
    let stores: Stores
    let workspaceId: string
    let otherWorkspaceId: string
    let serial = 0

    beforeAll(async () => {
      ;({ testDb, database, stores } = await openMigratedStores(choice))
      workspaceId = (await run(stores.workspaces.findBySlug("default")))!.id
      otherWorkspaceId = (await run(stores.workspaces.create({ slug: "accounts-other", name: "Other", now: NOW }))).id
    })
    afterAll(() => closeMigratedStores({ testDb, database }))

    const newUser = (role: "owner" | "admin" | "member" | "viewer" = "member", wsId = workspaceId) =>
      run(stores.users.create({
        email: `user${++serial}@example.com`,
        displayName: `User ${serial}`,
        passwordHash: `$scrypt$ln=17,r=8,p=1$salt${serial}$hash${serial}`,
        membership: { workspaceId: wsId, role },
        now: NOW
      }))

    describe("users and memberships", () => {
      it("creates a user with a first membership; the hash comes back only from findCredentials", async () => {
        const user = await newUser("admin")
        expect(user).toMatchObject({ email: `user${serial}@example.com`, displayName: `User ${serial}`, createdAt: NOW.toISOString() })
        expect(user.id).toMatch(/^usr_/)
        expect(JSON.stringify(user)).not.toContain("scrypt")
        expect(await run(stores.users.findById(user.id))).toEqual(user)
        expect(await run(stores.users.findByEmail(user.email))).toEqual(user)
        expect(JSON.stringify(await run(stores.users.findByEmail(user.email)))).not.toContain("scrypt")
        expect(await run(stores.users.findCredentials(user.email))).toEqual({
          user,
          passwordHash: `$scrypt$ln=17,r=8,p=1$salt${serial}$hash${serial}`
        })
        expect(await run(stores.users.findCredentials("nobody@example.com"))).toBeUndefined()
        expect(await run(stores.users.memberships(user.id))).toEqual([
          { role: "admin", workspace: expect.objectContaining({ id: workspaceId, slug: "default" }) }
        ])
      })

      it("refuses a taken email and writes nothing for it", async () => {
        const user = await newUser()
        const taken = await run(Effect.flip(stores.users.create({
          email: user.email,
          displayName: "Again",
          passwordHash: "x",
          membership: { workspaceId: otherWorkspaceId, role: "owner" },
          now: NOW
        })))
        expect(taken).toMatchObject({ _tag: "UserEmailTaken", email: user.email })
        expect(await run(stores.users.memberships(user.id))).toHaveLength(1)
        expect((await run(stores.users.members(otherWorkspaceId))).map((m) => m.user.email)).not.toContain(user.email)
      })

      it("adds, changes and removes memberships, per workspace", async () => {
        const user = await newUser("viewer")
        expect(await run(stores.users.setMembership({ userId: user.id, workspaceId: otherWorkspaceId, role: "member", now: NOW }))).toBe("added")
        expect(await run(stores.users.setMembership({ userId: user.id, workspaceId: otherWorkspaceId, role: "member", now: NOW }))).toBe("unchanged")
        expect(await run(stores.users.setMembership({ userId: user.id, workspaceId: otherWorkspaceId, role: "owner", now: later(1) }))).toBe("changed")
        const memberships = await run(stores.users.memberships(user.id))
        expect(memberships.map((m) => [m.workspace.slug, m.role])).toEqual([["accounts-other", "owner"], ["default", "viewer"]])
        const members = await run(stores.users.members(otherWorkspaceId))
        expect(members.find((m) => m.user.id === user.id)?.role).toBe("owner")
        expect(JSON.stringify(members)).not.toContain("scrypt")
        expect(await run(stores.users.removeMembership({ userId: user.id, workspaceId: otherWorkspaceId }))).toBe(true)
        expect(await run(stores.users.removeMembership({ userId: user.id, workspaceId: otherWorkspaceId }))).toBe(false)
        expect((await run(stores.users.memberships(user.id))).map((m) => m.workspace.slug)).toEqual(["default"])
      })

      it("refuses a role that is not one of the four, at the database too", async () => {
        const user = await newUser()
        const attempt = database.db.insertInto("memberships").values({
          workspace_id: otherWorkspaceId,
          user_id: user.id,
          role: "superuser",
          created_at: NOW.toISOString(),
          updated_at: NOW.toISOString()
        }).execute()
        await expect(attempt).rejects.toThrow()
      })

      it("replaces a password hash", async () => {
        const user = await newUser()
        await run(stores.users.setPasswordHash({ userId: user.id, passwordHash: "$scrypt$new", now: later(5) }))
        const found = await run(stores.users.findCredentials(user.email))
        expect(found?.passwordHash).toBe("$scrypt$new")
        expect(found?.user.updatedAt).toBe(later(5).toISOString())
      })
    })

    describe("sessions", () => {
      const digest = (n: number) => n.toString(16).padStart(64, "0")

      it("stores only the digest and finds a session by it", async () => {
        const user = await newUser()
        const session = await run(stores.sessions.create({ userId: user.id, digest: digest(1), now: NOW }))
        expect(session).toEqual({ id: expect.stringMatching(/^ses_/), userId: user.id, createdAt: NOW.toISOString(), lastSeenAt: NOW.toISOString(), revokedAt: null })
        expect(await run(stores.sessions.findByDigest(digest(1)))).toEqual({ session, digest: digest(1) })
        expect(await run(stores.sessions.findByDigest(digest(2)))).toBeUndefined()
      })

      it("records activity at most once per interval, and never on a revoked session", async () => {
        const user = await newUser()
        const session = await run(stores.sessions.create({ userId: user.id, digest: digest(3), now: NOW }))
        const lastSeen = async () => (await run(stores.sessions.findByDigest(digest(3))))?.session.lastSeenAt
        await run(stores.sessions.touch({ id: session.id, now: later(10_000), minIntervalMs: MINUTE }))
        expect(await lastSeen()).toBe(NOW.toISOString())
        await run(stores.sessions.touch({ id: session.id, now: later(MINUTE), minIntervalMs: MINUTE }))
        expect(await lastSeen()).toBe(later(MINUTE).toISOString())
        expect(await run(stores.sessions.revoke({ id: session.id, now: later(MINUTE + 1) }))).toBe(true)
        expect(await run(stores.sessions.revoke({ id: session.id, now: later(MINUTE + 2) }))).toBe(false)
        await run(stores.sessions.touch({ id: session.id, now: later(10 * MINUTE), minIntervalMs: 0 }))
        const found = await run(stores.sessions.findByDigest(digest(3)))
        expect(found?.session).toMatchObject({ lastSeenAt: later(MINUTE).toISOString(), revokedAt: later(MINUTE + 1).toISOString() })
      })

      it("revokes every live session of one user, and only theirs", async () => {
        const user = await newUser()
        const bystander = await newUser()
        await run(stores.sessions.create({ userId: user.id, digest: digest(4), now: NOW }))
        await run(stores.sessions.create({ userId: user.id, digest: digest(5), now: NOW }))
        await run(stores.sessions.create({ userId: bystander.id, digest: digest(6), now: NOW }))
        expect(await run(stores.sessions.revokeAllForUser({ userId: user.id, now: later(1) }))).toBe(2)
        expect(await run(stores.sessions.revokeAllForUser({ userId: user.id, now: later(2) }))).toBe(0)
        expect((await run(stores.sessions.findByDigest(digest(5))))?.session.revokedAt).toBe(later(1).toISOString())
        expect((await run(stores.sessions.findByDigest(digest(6))))?.session.revokedAt).toBeNull()
      })

      it("prunes revoked, idle and too old sessions, and keeps live ones", async () => {
        const user = await newUser()
        const live = await run(stores.sessions.create({ userId: user.id, digest: digest(10), now: later(100 * MINUTE) }))
        await run(stores.sessions.create({ userId: user.id, digest: digest(11), now: later(10 * MINUTE) })) // idle
        const revoked = await run(stores.sessions.create({ userId: user.id, digest: digest(12), now: later(100 * MINUTE) }))
        await run(stores.sessions.revoke({ id: revoked.id, now: later(101 * MINUTE) }))
        const old = await run(stores.sessions.create({ userId: user.id, digest: digest(13), now: later(-60 * MINUTE) }))
        await run(stores.sessions.touch({ id: old.id, now: later(100 * MINUTE), minIntervalMs: 0 })) // active, but too old
        const pruned = await run(stores.sessions.prune({ idleBefore: later(50 * MINUTE), createdBefore: later(0) }))
        expect(pruned).toBeGreaterThanOrEqual(3)
        expect(await run(stores.sessions.findByDigest(digest(10)))).toEqual({ session: live, digest: digest(10) })
        for (const gone of [11, 12, 13]) expect(await run(stores.sessions.findByDigest(digest(gone)))).toBeUndefined()
      })
    })

    describe("login throttles", () => {
      const rule = { maxFailures: 3, windowMs: 15 * MINUTE }
      const reserve = (key: string, now: Date, r = rule) => run(stores.loginThrottles.reserveAttempt({ key, rule: r, now }))

      it("allows the limit's number of attempts in a window, then locks for one window from the first refusal", async () => {
        const key = "account:a"
        expect(await reserve(key, NOW)).toEqual({ attempts: 1, allowed: true, lockedUntil: undefined })
        expect(await reserve(key, later(MINUTE))).toEqual({ attempts: 2, allowed: true, lockedUntil: undefined })
        expect(await reserve(key, later(2 * MINUTE))).toEqual({ attempts: 3, allowed: true, lockedUntil: undefined })
        expect(await reserve(key, later(3 * MINUTE))).toEqual({ attempts: 4, allowed: false, lockedUntil: later(18 * MINUTE) })
        // A refusal while locked does not extend the lock; the window running out does not lift it.
        expect(await reserve(key, later(16 * MINUTE))).toEqual({ attempts: 5, allowed: false, lockedUntil: later(18 * MINUTE) })
        // After the lock, counting starts again.
        expect(await reserve(key, later(18 * MINUTE))).toEqual({ attempts: 1, allowed: true, lockedUntil: undefined })
      })

      it("attempts spread over more than a window are never refused", async () => {
        for (let i = 0; i < 6; i++) expect((await reserve("account:b", later(i * 8 * MINUTE))).allowed).toBe(true)
      })

      it("under concurrency allows exactly the limit, whatever the number in flight", async () => {
        const key = "account:concurrent"
        const answers = await Promise.all(Array.from({ length: 25 }, () => reserve(key, NOW, { maxFailures: 5, windowMs: 15 * MINUTE })))
        expect(answers.filter((a) => a.allowed)).toHaveLength(5)
        expect(answers.map((a) => a.attempts).sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
        // Also right after a window ran out: the reset is part of the same one statement.
        const afterWindow = await Promise.all(Array.from({ length: 25 }, () => reserve(key, later(40 * MINUTE), { maxFailures: 5, windowMs: 15 * MINUTE })))
        expect(afterWindow.filter((a) => a.allowed)).toHaveLength(5)
      })

      it("release gives one attempt back; clear forgets attempts and lock; keys are independent", async () => {
        const key = "address:203.0.113.7"
        for (let i = 0; i < 3; i++) await reserve(key, NOW)
        await run(stores.loginThrottles.release(key))
        expect(await reserve(key, NOW)).toMatchObject({ attempts: 3, allowed: true })
        await run(stores.loginThrottles.release("address:never-seen"))
        const c = "account:c"
        for (let i = 0; i < 4; i++) await reserve(c, NOW)
        await reserve("account:d", NOW)
        expect((await reserve(c, NOW)).allowed).toBe(false)
        await run(stores.loginThrottles.clear(c))
        expect(await reserve(c, NOW)).toEqual({ attempts: 1, allowed: true, lockedUntil: undefined })
        expect((await reserve("account:d", NOW)).attempts).toBe(2)
      })

      it("prunes old entries but keeps locks in force", async () => {
        for (let i = 0; i < 4; i++) await reserve("account:locked", NOW)
        await reserve("account:stale", NOW)
        await run(stores.loginThrottles.prune({ before: later(MINUTE), now: later(2 * MINUTE) }))
        expect((await reserve("account:locked", later(2 * MINUTE))).allowed).toBe(false)
        const left = await database.db.selectFrom("login_throttles").select("key").where("key", "in", ["account:locked", "account:stale"]).execute()
        expect(left.map((r) => r.key)).toEqual(["account:locked"])
      })
    })
  })
}

import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, cli, login, passingGateRequest, rawPost, rowCounts, sessionClient, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * Console accounts, sessions and roles, black-box: users are made with the CLI, the built
 * server is started, and everything else goes over HTTP as a browser on the console would.
 */
const PASSWORD = "correct horse battery staple"
const ROLES = ["owner", "admin", "member", "viewer"] as const
type Role = (typeof ROLES)[number]

const createUser = async (database: string, email: string, workspace: string, role: Role, password = PASSWORD) => {
  const result = await cli(["user", "create", "--database", database, "--email", email, "--workspace", workspace, "--role", role], {
    input: `${password}\n`
  })
  expect(result.code, result.stderr).toBe(0)
  return result
}

const createWorkspace = async (database: string, slug: string) => {
  const result = await cli(["workspace", "create", "--database", database, "--slug", slug, "--name", slug.toUpperCase()])
  expect(result.code, result.stderr).toBe(0)
}

const createToken = async (database: string, workspace: string) => {
  const result = await cli(["token", "create", "--database", database, "--workspace", workspace, "--scope", "gate:evaluate"])
  expect(result.code, result.stderr).toBe(0)
  return { value: result.stdout.trim(), id: /created (tok_\w+)/.exec(result.stderr)![1]! }
}

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`console accounts over HTTP (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let database: SqlDatabase<Tables>
    const email = (role: Role, workspace = "alpha") => `${role}@${workspace}.example.com`

    beforeAll(async () => {
      testDb = await choice.create()
      const migrated = await cli(["migrate", "--database", testDb.url])
      expect(migrated.code, migrated.stderr).toBe(0)
      await createWorkspace(testDb.url, "alpha")
      await createWorkspace(testDb.url, "beta")
      await Promise.all([
        ...ROLES.map((role) => createUser(testDb.url, email(role), "alpha", role)),
        createUser(testDb.url, email("admin", "beta"), "beta", "admin"),
        createUser(testDb.url, "multi@example.com", "alpha", "admin")
      ])
      const added = await cli(["user", "add", "--database", testDb.url, "--email", "multi@example.com", "--workspace", "beta", "--role", "viewer"])
      expect(added.code, added.stderr).toBe(0)
      server = await startServer({ database: testDb.url })
      database = await openDatabase(testDb.url)
    })
    afterAll(async () => {
      await server?.stop()
      await database?.close()
      await testDb?.drop()
    })

    describe("the user CLI", () => {
      it("reads the password from stdin and stores only a scrypt hash of it", async () => {
        await createUser(testDb.url, "Stdin.User@Example.com", "alpha", "viewer", "a passphrase from stdin")
        const row = await database.db.selectFrom("users").selectAll().where("email", "=", "stdin.user@example.com").executeTakeFirstOrThrow()
        expect(row.password_hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/)
        expect(row.password_hash).not.toContain("passphrase")
        const session = await signIn(server.url, "STDIN.user@example.com", "a passphrase from stdin")
        expect(session.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/)
      })

      it("--generate-password prints a strong password once, alone on stdout", async () => {
        const result = await cli(["user", "create", "--database", testDb.url, "--email", "generated@example.com", "--workspace", "alpha", "--role", "viewer", "--generate-password"])
        expect(result.code, result.stderr).toBe(0)
        const password = result.stdout.trim()
        expect(password).toMatch(/^[A-Za-z0-9]{24}$/)
        expect(result.stderr).not.toContain(password)
        await signIn(server.url, "generated@example.com", password)
      })

      it("refuses a short password, an empty stdin, a taken email, an unknown workspace or role", async () => {
        const base = ["user", "create", "--database", testDb.url, "--workspace", "alpha", "--role", "viewer"]
        const short = await cli([...base, "--email", "short@example.com"], { input: "too short\n" })
        expect(short.code).not.toBe(0)
        expect(short.stderr).toContain("at least 12 characters")
        const empty = await cli([...base, "--email", "empty@example.com"], { input: "" })
        expect(empty.code).not.toBe(0)
        expect(empty.stderr).toContain("--generate-password")
        const taken = await cli([...base, "--email", email("viewer").toUpperCase()], { input: `${PASSWORD}\n` })
        expect(taken.code).not.toBe(0)
        expect(taken.stderr).toContain("already exists")
        const noWorkspace = await cli(["user", "create", "--database", testDb.url, "--workspace", "nope", "--role", "viewer", "--email", "x@example.com"], { input: `${PASSWORD}\n` })
        expect(noWorkspace.code).not.toBe(0)
        expect(noWorkspace.stderr).toContain('no workspace "nope"')
        const badRole = await cli([...base.slice(0, -1), "root", "--email", "y@example.com"], { input: `${PASSWORD}\n` })
        expect(badRole.code).not.toBe(0)
        const users = await database.db.selectFrom("users").select("email").where("email", "in", ["short@example.com", "empty@example.com", "x@example.com", "y@example.com"]).execute()
        expect(users).toEqual([])
      })

      it("user add changes a role, effective on the very next request", async () => {
        await createUser(testDb.url, "demoted@example.com", "alpha", "admin")
        const session = await signIn(server.url, "demoted@example.com", PASSWORD)
        expect((await call(server.url, "GET", "/tokens", { session })).status).toBe(200)
        const changed = await cli(["user", "add", "--database", testDb.url, "--email", "demoted@example.com", "--workspace", "alpha", "--role", "viewer"])
        expect(changed.code, changed.stderr).toBe(0)
        expect(changed.stdout).toContain("changed the role of demoted@example.com as viewer")
        expect(await call(server.url, "GET", "/tokens", { session })).toMatchObject({ status: 403, json: { code: "auth.role_insufficient" } })
      })
    })

    describe("signing in", () => {
      it("answers 204 with an HttpOnly, SameSite=Lax, Path=/ cookie (not Secure over http), stored only as SHA-256", async () => {
        const signedIn = await login(server.url, email("viewer"), PASSWORD)
        expect(signedIn.status).toBe(204)
        expect(signedIn.text).toBe("")
        const attributes = signedIn.setCookie!.split(";").map((a) => a.trim().toLowerCase())
        expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=lax", "path=/"]))
        expect(attributes).not.toContain("secure")
        expect(signedIn.headers.get("cache-control")).toBe("no-store")
        const stored = await database.db.selectFrom("sessions").selectAll().where("digest", "=", sha256(signedIn.cookie!)).executeTakeFirst()
        expect(stored).toBeDefined()
        const all = JSON.stringify(await database.db.selectFrom("sessions").selectAll().execute())
        expect(all).not.toContain(signedIn.cookie)
      })

      it("gives a new session id at every sign-in, each a working session of its own", async () => {
        const cookies = []
        for (let i = 0; i < 3; i++) cookies.push((await login(server.url, email("member"), PASSWORD)).cookie!)
        expect(new Set(cookies).size).toBe(3)
        for (const cookie of cookies) expect((await call(server.url, "GET", "/auth/session", { cookie })).status).toBe(200)
        // A cookie planted before sign-in is not adopted: the answer sets a fresh one.
        const planted = cookies[0]!
        const again = await login(server.url, email("member"), PASSWORD, { cookie: `releasepassport_session=${planted}` })
        expect(again.cookie).not.toBe(planted)
      })

      it("one generic answer for an unknown account and a wrong password, taking as long", async () => {
        const timed = async (who: string, password: string) => {
          const started = performance.now()
          const answer = await login(server.url, who, password)
          return { answer, ms: performance.now() - started }
        }
        const wrong = await timed(email("viewer"), "not the right password")
        const unknown = await timed("nobody-here@example.com", "not the right password")
        for (const { answer } of [wrong, unknown]) {
          expect(answer.status).toBe(401)
          expect(answer.headers.get("content-type")).toContain("application/problem+json")
          expect(answer.setCookie).toBeUndefined()
        }
        expect(unknown.answer.json).toEqual(wrong.answer.json)
        expect(wrong.answer.json).toMatchObject({ code: "auth.login_failed" })
        // Both pay for a full scrypt (hundreds of ms); an unknown account is not a shortcut.
        expect(unknown.ms).toBeGreaterThan(wrong.ms * 0.5)
        expect(unknown.ms).toBeGreaterThan(100)
      })

      it("refuses a sign-in posted from another origin (login CSRF)", async () => {
        const answer = await login(server.url, email("viewer"), PASSWORD, { origin: "https://evil.example" })
        expect(answer).toMatchObject({ status: 403, json: { code: "auth.origin_mismatch" } })
        expect(answer.setCookie).toBeUndefined()
      })

      it("422 for a body without a password", async () => {
        const answer = await rawPost(`${server.url}/releasepassport/v1/auth/login`, JSON.stringify({ email: "a@b.c" }))
        expect(answer).toMatchObject({ status: 422, json: { code: "request.invalid" } })
      })
    })

    describe("the session", () => {
      it("GET /auth/session: who, their workspaces and roles, the CSRF token; never a hash or session id", async () => {
        const session = await signIn(server.url, "multi@example.com", PASSWORD)
        const client = await sessionClient(server.url, session)
        const info = await Effect.runPromise(client.auth.session())
        expect(info).toMatchObject({
          user: { email: "multi@example.com", displayName: "multi" },
          workspaces: [{ slug: "alpha", name: "ALPHA", role: "admin" }, { slug: "beta", name: "BETA", role: "viewer" }],
          csrfToken: session.csrf,
          idleTimeoutSeconds: 1800
        })
        expect(Date.parse(info.expiresAt) - Date.now()).toBeGreaterThan(11.9 * 3600_000)
        const raw = await call(server.url, "GET", "/auth/session", { session })
        expect(raw.headers.get("cache-control")).toBe("no-store")
        const sessionRow = await database.db.selectFrom("sessions").selectAll().where("digest", "=", sha256(session.cookie)).executeTakeFirstOrThrow()
        for (const secret of [session.cookie, sessionRow.id, sessionRow.digest, "scrypt", "password"]) {
          expect(raw.text).not.toContain(secret)
        }
      })

      it.each([
        ["no cookie", undefined, "auth.missing"],
        ["a malformed cookie", "not-a-session", "auth.invalid"],
        ["a well-formed cookie nobody issued", "A".repeat(43), "auth.invalid"]
      ])("401 with %s", async (_name, cookie, code) => {
        for (const path of ["/auth/session", "/tokens", "/tokens?workspace=alpha"]) {
          const answer = await call(server.url, "GET", path, cookie === undefined ? {} : { cookie })
          expect(answer).toMatchObject({ status: 401, json: { code } })
          expect(answer.headers.get("www-authenticate")).toBeNull()
        }
        const write = await call(server.url, "POST", "/tokens", {
          ...(cookie === undefined ? {} : { cookie }),
          origin: server.url,
          body: { name: "x", scopes: ["gate:evaluate"] }
        })
        expect(write).toMatchObject({ status: 401, json: { code } })
      })
    })

    describe("what each role may do", () => {
      const sessions = new Map<Role, Session>()
      beforeAll(async () => {
        for (const role of ROLES) sessions.set(role, await signIn(server.url, email(role), PASSWORD))
      })
      const newAlphaToken = async () => {
        const made = await call(server.url, "POST", "/tokens", { session: sessions.get("owner")!, body: { name: "victim", scopes: ["gate:evaluate"] } })
        expect(made.status).toBe(201)
        return made.json.token as { id: string }
      }
      const canManageTokens: Record<Role, boolean> = { owner: true, admin: true, member: false, viewer: false }

      it.each(ROLES)("%s", async (role) => {
        const session = sessions.get(role)!
        const allowed = canManageTokens[role]
        const denied = { status: 403, json: { code: "auth.role_insufficient" } }

        const info = await call(server.url, "GET", "/auth/session", { session })
        expect(info.status).toBe(200)
        expect(info.json.workspaces).toEqual([{ slug: "alpha", name: "ALPHA", role }])

        const listed = await call(server.url, "GET", "/tokens", { session })
        if (allowed) expect(listed.status).toBe(200)
        else expect(listed).toMatchObject(denied)

        const before = await rowCounts(database)
        const created = await call(server.url, "POST", "/tokens", { session, body: { name: `by-${role}`, scopes: ["gate:evaluate"] } })
        if (allowed) {
          expect(created.status).toBe(201)
          expect(created.json.value).toMatch(/^rp_[0-9A-Za-z]{49}$/)
        } else {
          expect(created).toMatchObject(denied)
          expect(await rowCounts(database)).toEqual(before)
        }

        const victim = await newAlphaToken()
        const revoked = await call(server.url, "DELETE", `/tokens/${victim.id}`, { session })
        const row = await database.db.selectFrom("api_tokens").select("revoked_at").where("id", "=", victim.id).executeTakeFirstOrThrow()
        if (allowed) {
          expect(revoked.status).toBe(204)
          expect(row.revoked_at).not.toBeNull()
        } else {
          expect(revoked).toMatchObject(denied)
          expect(row.revoked_at).toBeNull()
        }
      })
    })

    describe("tokens for admins over the session", () => {
      it("a token made in the console is shown once, never listed with its value, works, and can be revoked", async () => {
        const session = await signIn(server.url, email("admin"), PASSWORD)
        const client = await sessionClient(server.url, session)
        const created = await Effect.runPromise(client.tokens.create({
          query: {},
          payload: { name: "console-ci", scopes: ["gate:evaluate", "gate:evaluate"], expiresInDays: 7 }
        }))
        expect(created.token).toMatchObject({ name: "console-ci", scopes: ["gate:evaluate"], state: "active", revokedAt: null, lastUsedAt: null })
        expect(Date.parse(created.token.expiresAt) - Date.parse(created.token.createdAt)).toBe(7 * 86_400_000)
        const gate = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), {
          authorization: `Bearer ${created.value}`
        })
        expect(gate.status).toBe(200)

        const listed = await call(server.url, "GET", "/tokens?workspace=alpha", { session })
        expect(listed.status).toBe(200)
        expect(listed.json.tokens.map((t: { id: string }) => t.id)).toContain(created.token.id)
        expect(listed.text).not.toContain(created.value)
        const row = await database.db.selectFrom("api_tokens").select("digest").where("id", "=", created.token.id).executeTakeFirstOrThrow()
        expect(listed.text).not.toContain(row.digest)
        expect(listed.json.tokens.find((t: { id: string }) => t.id === created.token.id).lastUsedAt).not.toBeNull()

        await Effect.runPromise(client.tokens.revoke({ params: { id: created.token.id }, query: {} }))
        const after = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), {
          authorization: `Bearer ${created.value}`
        })
        expect(after).toMatchObject({ status: 401, json: { code: "auth.revoked" } })
        const again = await call(server.url, "DELETE", `/tokens/${created.token.id}`, { session })
        expect(again).toMatchObject({ status: 404, json: { code: "token.not_found" } })
      })

      it("422 for a token request of the wrong shape, writing nothing", async () => {
        const session = await signIn(server.url, email("owner"), PASSWORD)
        const before = await rowCounts(database)
        for (const body of [{ name: "x", scopes: [] }, { name: "", scopes: ["gate:evaluate"] }, { name: "x", scopes: ["root"] }, {
          name: "x",
          scopes: ["gate:evaluate"],
          expiresInDays: 400
        }]) {
          expect(await call(server.url, "POST", "/tokens", { session, body })).toMatchObject({ status: 422, json: { code: "request.invalid" } })
        }
        expect(await rowCounts(database)).toEqual(before)
      })
    })

    describe("workspace isolation", () => {
      it("an admin of beta can do nothing with alpha's tokens, and learns nothing about alpha", async () => {
        const session = await signIn(server.url, email("admin", "beta"), PASSWORD)
        const alphaToken = await createToken(testDb.url, "alpha")
        const betaToken = await createToken(testDb.url, "beta")
        const before = await rowCounts(database)

        const foreign = await call(server.url, "GET", "/tokens?workspace=alpha", { session })
        const missing = await call(server.url, "GET", "/tokens?workspace=no-such-workspace", { session })
        expect(foreign).toMatchObject({ status: 404, json: { code: "workspace.not_found" } })
        expect(foreign.json).toEqual(missing.json)

        expect(await call(server.url, "POST", "/tokens?workspace=alpha", { session, body: { name: "x", scopes: ["gate:evaluate"] } }))
          .toMatchObject({ status: 404, json: { code: "workspace.not_found" } })
        // Another workspace's token id answers like an id that does not exist, named or not.
        const byId = await call(server.url, "DELETE", `/tokens/${alphaToken.id}`, { session })
        const byIdNamed = await call(server.url, "DELETE", `/tokens/${alphaToken.id}?workspace=alpha`, { session })
        const nonexistent = await call(server.url, "DELETE", "/tokens/tok_00000000000000000000000000", { session })
        expect(byId).toMatchObject({ status: 404, json: { code: "token.not_found" } })
        expect(byId.json).toEqual(nonexistent.json)
        expect(byIdNamed).toMatchObject({ status: 404, json: { code: "workspace.not_found" } })
        expect(await rowCounts(database)).toEqual(before)
        const alphaRow = await database.db.selectFrom("api_tokens").select("revoked_at").where("id", "=", alphaToken.id).executeTakeFirstOrThrow()
        expect(alphaRow.revoked_at).toBeNull()

        const own = await call(server.url, "GET", "/tokens", { session })
        expect(own.status).toBe(200)
        const ids = own.json.tokens.map((t: { id: string }) => t.id)
        expect(ids).toContain(betaToken.id)
        expect(ids).not.toContain(alphaToken.id)
      })

      it("a user in several workspaces names one; the role is the one held there", async () => {
        const session = await signIn(server.url, "multi@example.com", PASSWORD)
        expect(await call(server.url, "GET", "/tokens", { session })).toMatchObject({ status: 400, json: { code: "workspace.required" } })
        expect((await call(server.url, "GET", "/tokens?workspace=alpha", { session })).status).toBe(200)
        expect(await call(server.url, "GET", "/tokens?workspace=beta", { session })).toMatchObject({ status: 403, json: { code: "auth.role_insufficient" } })
        expect(await call(server.url, "GET", "/tokens?workspace=alpha&workspace=beta", { session })).toMatchObject({ status: 400 })
      })
    })

    describe("CSRF: a cookie alone never changes anything", () => {
      let admin: Session
      let other: Session
      let victim: { id: string }
      beforeAll(async () => {
        admin = await signIn(server.url, email("admin"), PASSWORD)
        other = await signIn(server.url, email("owner"), PASSWORD)
        victim = await createToken(testDb.url, "alpha")
      })

      it.each([
        ["no CSRF header", { csrf: null }, "auth.csrf_invalid"],
        ["another session's CSRF token", () => ({ csrf: other.csrf }), "auth.csrf_invalid"],
        ["a made-up CSRF token", { csrf: "A".repeat(43) }, "auth.csrf_invalid"],
        ["a foreign Origin", { origin: "https://evil.example" }, "auth.origin_mismatch"],
        ["a look-alike Origin", () => ({ origin: server.url.replace("127.0.0.1", "127.0.0.1.evil.example") }), "auth.origin_mismatch"],
        ["Origin: null", { origin: "null" }, "auth.origin_mismatch"],
        ["no Origin", { origin: null }, "auth.origin_mismatch"]
      ] as const)("403 with %s, and nothing written", async (_name, override, code) => {
        const options = typeof override === "function" ? override() : override
        const before = await rowCounts(database)
        const created = await call(server.url, "POST", "/tokens", { session: admin, ...options, body: { name: "csrf", scopes: ["gate:evaluate"] } })
        expect(created).toMatchObject({ status: 403, json: { code } })
        const revoked = await call(server.url, "DELETE", `/tokens/${victim.id}`, { session: admin, ...options })
        expect(revoked).toMatchObject({ status: 403, json: { code } })
        const logout = await call(server.url, "POST", "/auth/logout", { session: admin, ...options })
        expect(logout).toMatchObject({ status: 403, json: { code } })
        expect(await rowCounts(database)).toEqual(before)
        const row = await database.db.selectFrom("api_tokens").select("revoked_at").where("id", "=", victim.id).executeTakeFirstOrThrow()
        expect(row.revoked_at).toBeNull()
        // Reads need neither, and the session survived.
        expect((await call(server.url, "GET", "/tokens", { session: admin, ...options })).status).toBe(200)
      })
    })

    describe("ending sessions", () => {
      it("logout ends the session: the old cookie then gets 401, other sessions live on", async () => {
        const first = await signIn(server.url, email("member"), PASSWORD)
        const second = await signIn(server.url, email("member"), PASSWORD)
        const out = await call(server.url, "POST", "/auth/logout", { session: first })
        expect(out.status).toBe(204)
        const cleared = out.headers.getSetCookie().find((c) => c.startsWith("releasepassport_session="))
        expect(cleared).toMatch(/^releasepassport_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i)
        for (const path of ["/auth/session", "/tokens"]) {
          const replay = await call(server.url, "GET", path, { session: first })
          expect(replay.status).toBe(401)
          expect(["auth.revoked", "auth.invalid"]).toContain(replay.json.code)
        }
        expect(await call(server.url, "POST", "/auth/logout", { session: first })).toMatchObject({ status: 401 })
        expect((await call(server.url, "GET", "/auth/session", { session: second })).status).toBe(200)
      })

      it("user revoke-sessions signs a user out everywhere at once", async () => {
        const sessions = [await signIn(server.url, email("viewer"), PASSWORD), await signIn(server.url, email("viewer"), PASSWORD)]
        const bystander = await signIn(server.url, email("member"), PASSWORD)
        const result = await cli(["user", "revoke-sessions", "--database", testDb.url, "--email", email("viewer")])
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout).toMatch(/ended \d+ sessions of viewer@alpha.example.com/)
        for (const session of sessions) {
          expect(await call(server.url, "GET", "/auth/session", { session })).toMatchObject({ status: 401, json: { code: "auth.revoked" } })
        }
        expect((await call(server.url, "GET", "/auth/session", { session: bystander })).status).toBe(200)
      })
    })
  })

  describe.skipIf(choice.skip !== undefined)(`session timeouts and an https public URL (${choice.adapter})`, () => {
    const PUBLIC_URL = "https://rp.example.test"
    let testDb: TestDatabase
    let server: RunningServer

    beforeAll(async () => {
      testDb = await choice.create()
      const migrated = await cli(["migrate", "--database", testDb.url])
      expect(migrated.code, migrated.stderr).toBe(0)
      await createUser(testDb.url, "admin@example.com", "default", "admin")
      server = await startServer({
        database: testDb.url,
        args: ["--session-idle-timeout", "2s", "--session-absolute-timeout", "5s", "--public-url", PUBLIC_URL]
      })
    })
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
    })

    it("sets a Secure cookie, and takes writes only from the public URL's origin", async () => {
      const signedIn = await login(server.url, "admin@example.com", PASSWORD, { origin: PUBLIC_URL })
      expect(signedIn.status).toBe(204)
      expect(signedIn.setCookie!.split(";").map((a) => a.trim().toLowerCase())).toEqual(
        expect.arrayContaining(["secure", "httponly", "samesite=lax", "path=/", "max-age=5"])
      )
      const session = await signIn(server.url, "admin@example.com", PASSWORD, PUBLIC_URL)
      const body = { name: "x", scopes: ["gate:evaluate"] }
      // The Host matches, but the configured public URL is what a browser's Origin must be.
      expect(await call(server.url, "POST", "/tokens", { session, origin: server.url, body })).toMatchObject({
        status: 403,
        json: { code: "auth.origin_mismatch" }
      })
      expect((await call(server.url, "POST", "/tokens", { session, body })).status).toBe(201)
    })

    it("ends a session left idle longer than the idle timeout", async () => {
      const session = await signIn(server.url, "admin@example.com", PASSWORD, PUBLIC_URL)
      await sleep(1000)
      expect((await call(server.url, "GET", "/auth/session", { session })).status).toBe(200)
      await sleep(2500)
      const expired = await call(server.url, "GET", "/auth/session", { session })
      expect(expired).toMatchObject({ status: 401, json: { code: "auth.expired" } })
      expect(expired.headers.getSetCookie().some((c) => /^releasepassport_session=;/.test(c))).toBe(true)
    })

    it("ends an active session at the absolute timeout, however busy", async () => {
      const session = await signIn(server.url, "admin@example.com", PASSWORD, PUBLIC_URL)
      const started = Date.now()
      const statuses: Array<number> = []
      // A request every 0.6 s keeps the idle timer from ever running out.
      while (Date.now() - started < 6500) {
        const answer = await call(server.url, "GET", "/auth/session", { session })
        statuses.push(answer.status)
        if (answer.status === 401) {
          expect(answer.json.code).toBe("auth.expired")
          break
        }
        await sleep(600)
      }
      const elapsed = Date.now() - started
      expect(statuses.at(-1)).toBe(401)
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3)
      expect(elapsed).toBeGreaterThanOrEqual(4000)
    })
  })

  describe.skipIf(choice.skip !== undefined)(`sign-in throttling (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer

    beforeAll(async () => {
      testDb = await choice.create()
      const migrated = await cli(["migrate", "--database", testDb.url])
      expect(migrated.code, migrated.stderr).toBe(0)
      await Promise.all(["victim", "bystander", "latecomer"].map((name) => createUser(testDb.url, `${name}@example.com`, "default", "viewer")))
      server = await startServer({
        database: testDb.url,
        args: ["--login-max-failures-per-account", "3", "--login-max-failures-per-address", "6", "--login-throttle-window", "10m"]
      })
    })
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
    })

    it("locks an account after repeated failures, even against the right password; others still sign in", async () => {
      for (let i = 0; i < 3; i++) {
        expect((await login(server.url, "victim@example.com", `wrong password ${i}`)).status).toBe(401)
      }
      const locked = await login(server.url, "VICTIM@example.com", PASSWORD)
      expect(locked).toMatchObject({ status: 429, json: { code: "auth.throttled" } })
      expect(locked.setCookie).toBeUndefined()
      const retryAfter = Number(locked.headers.get("retry-after"))
      expect(retryAfter).toBeGreaterThan(500)
      expect(retryAfter).toBeLessThanOrEqual(600)
      // An unknown account is locked exactly like a real one: the lock reveals nothing.
      for (let i = 0; i < 2; i++) expect((await login(server.url, "ghost@example.com", "wrong password")).status).toBe(401)
      expect((await login(server.url, "bystander@example.com", PASSWORD)).status).toBe(204)
    })

    it("locks a client address after repeated failures across accounts, shared through the database", async () => {
      // 3 (victim) + 2 (ghost) failures so far from this address; a sixth reaches the limit.
      expect((await login(server.url, "someone-else@example.com", "wrong password")).status).toBe(401)
      const locked = await login(server.url, "latecomer@example.com", PASSWORD)
      expect(locked).toMatchObject({ status: 429, json: { code: "auth.throttled" } })
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0)

      // A second replica on the same database sees the same lock.
      const replica = await startServer({ database: testDb.url })
      try {
        expect(await login(replica.url, "latecomer@example.com", PASSWORD)).toMatchObject({ status: 429, json: { code: "auth.throttled" } })
      } finally {
        await replica.stop()
      }
    })

    it("counts clients behind a trusted proxy by X-Forwarded-For, and ignores it from anyone else", async () => {
      const forwardedFrom = (address: string) => ({ "x-forwarded-for": address })
      // Not a trusted proxy: a spoofed header does not escape the lock on 127.0.0.1.
      expect((await login(server.url, "bystander@example.com", PASSWORD, forwardedFrom("198.51.100.7"))).status).toBe(429)

      const behindProxy = await startServer({
        database: testDb.url,
        args: ["--trusted-proxies", "127.0.0.1", "--login-max-failures-per-address", "2"]
      })
      try {
        const url = behindProxy.url
        expect((await login(url, "bystander@example.com", PASSWORD, forwardedFrom("198.51.100.7"))).status).toBe(204)
        for (let i = 0; i < 2; i++) {
          expect((await login(url, `nobody${i}@example.com`, "wrong password", forwardedFrom("203.0.113.9"))).status).toBe(401)
        }
        expect((await login(url, "bystander@example.com", PASSWORD, forwardedFrom("203.0.113.9"))).status).toBe(429)
        expect((await login(url, "bystander@example.com", PASSWORD, forwardedFrom("203.0.113.10"))).status).toBe(204)
      } finally {
        await behindProxy.stop()
      }
    })
  })
}

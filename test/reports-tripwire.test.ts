import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, call, cli, cliOk, createToken, input as corpusInput, passingGateRequest, positives, rawPost, readZip, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * The reports' tripwire: every secret kind of the redaction corpus goes into everything a user
 * can write (evidence summaries, details and URLs, private items, comments, connector
 * declarations, token names, the gate's identifiers where it accepts them); then every report
 * is fetched in every format, the audit pack unpacked, and none may hold a raw secret, a token
 * value, a session id or a private detail.
 */
const PASSWORD = "correct horse battery staple"
const texts = positives.map(corpusInput)
const secrets = positives.flatMap((p) => p.secrets.map(([, secret]) => secret))
const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/
/** Held only in private items' details: no report may show it, hashed or not. */
const PRIVATE_MARK = `private-detail-${Math.random().toString(36).slice(2, 12)}`

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`reports tripwire (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let dir: string
    const tokenValues: Array<string> = []
    let reportsToken: string
    let gateToken: string
    let admin: Session
    let viewer: Session
    const passportIds = new Set<string>()
    let since: string

    const gate = async (request: GateRequest) => {
      const answer = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(request), { authorization: `Bearer ${gateToken}` })
      return answer
    }

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "releasepassport-tripwire-"))
      testDb = await choice.create()
      const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
      await run(["migrate"])
      await run(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
      await run(["user", "create", "--email", "admin@alpha.example.com", "--workspace", "alpha", "--role", "admin"], `${PASSWORD}\n`)
      await run(["user", "create", "--email", "viewer@alpha.example.com", "--workspace", "alpha", "--role", "viewer"], `${PASSWORD}\n`)
      // Token names carry secrets: every one-line corpus text, a few per token.
      const oneLine = texts.filter((t) => ONE_LINE.test(t))
      const named = async (name: string, ...scopes: Array<string>) => {
        const token = await createToken(testDb.url, "--workspace", "alpha", "--name", name, ...scopes.flatMap((s) => ["--scope", s]))
        tokenValues.push(token.value)
        return token.value
      }
      // A secret in a token name is refused at creation (a name is an identifier: shown as given),
      // so none can reach a report; the refusal itself is checked here, and the tokens get plain names.
      for (const text of oneLine.slice(0, 5)) {
        const refused = await cli(["token", "create", "--database", testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate", "--name", text])
        expect(refused.code, refused.stderr).not.toBe(0)
        expect(refused.stdout).toBe("")
      }
      gateToken = await named("pipeline", "gate:evaluate", "evidence:ingest")
      const secondGate = await named("pipeline-2", "gate:evaluate")
      reportsToken = await named("auditor", "reports:read")
      server = await startServer({ database: testDb.url })
      admin = await signIn(server.url, "admin@alpha.example.com", PASSWORD)
      viewer = await signIn(server.url, "viewer@alpha.example.com", PASSWORD)
      since = new Date(Date.now() - 1000).toISOString()

      // The gate's identifiers, where it accepts them (one line, bounded): service, namespace,
      // environment, release id, source sha, digest.
      for (const [i, text] of texts.entries()) {
        const request = passingGateRequest({
          mode: i % 2 === 0 ? "shadow" : "enforce",
          service: { name: text.slice(0, 253), namespace: text.slice(0, 253), environment: text.slice(0, 100) }
        })
        const withRelease = { ...request, release: { ...request.release, releaseId: text.slice(0, 200), sourceSha: text.slice(0, 200) }, artifact: { digest: text.slice(0, 512) } }
        const answer = await gate(withRelease)
        if (answer.status === 200) {
          passportIds.add(answer.json.passportId)
        } else expect(answer.status, answer.text).toBe(422)
      }
      // Most corpus texts are refused as identifiers (422, nothing stored); the few accepted
      // (texts that are no secret as an identifier) are in the reports checked below.
      const second = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest({ mode: "shadow" })), {
        authorization: `Bearer ${secondGate}`
      })
      expect(second.status, second.text).toBe(200)

      // Evidence: summaries, details and URLs, public and private, on one release.
      const request = passingGateRequest({ mode: "shadow", service: { name: "payments-api", namespace: "apps", environment: "production" } })
      const items = texts.flatMap((text, i) => [
        {
          type: `leak-${i}`,
          status: "warning" as const,
          summary: new TextEncoder().encode(text).byteLength <= 2048 ? text : positives[i]!.name,
          details: { log: text, nested: { env: [text] } },
          url: `https://ci.example.com/runs/${i}?note=${encodeURIComponent(text.slice(0, 100))}`
        },
        {
          type: `private-${i}`,
          status: "passed" as const,
          summary: "private scan",
          details: { log: text, mark: PRIVATE_MARK },
          private: true
        }
      ])
      for (let i = 0; i < items.length; i += 50) {
        const batch: EvidenceBatch = {
          source: "github_actions",
          externalId: `leaky-${i}`,
          service: { name: request.service.name, namespace: request.service.namespace },
          release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
          artifact: { digest: request.artifact.digest },
          evidence: items.slice(i, i + 50)
        }
        const answer = await rawPost(`${server.url}/releasepassport/v1/evidence/ingest`, JSON.stringify(batch), { authorization: `Bearer ${gateToken}` })
        expect(answer.status, answer.text).toBe(200)
      }
      const evaluated = await gate(request)
      expect(evaluated.status).toBe(200)
      passportIds.add(evaluated.json.passportId)

      // Comments and connector declarations.
      for (const text of texts) {
        const comment = await call(server.url, "POST", `/passports/${evaluated.json.passportId}/comments?workspace=alpha`, {
          session: admin,
          body: { body: text.slice(0, 4000) }
        })
        expect(comment.status, comment.text).toBe(201)
      }
      for (const [i, text] of texts.entries()) {
        const declared = await call(server.url, "PUT", `/integrations/leaky-${i}?workspace=alpha`, {
          session: admin,
          body: { displayName: text.slice(0, 200), environments: [text.slice(0, 100)] }
        })
        expect([200, 422], declared.text).toContain(declared.status)
      }
    }, 240_000)
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    })

    it("no report, in any format, holds a raw secret, a token value, a session id or a private detail", async () => {
      const until = new Date(Date.now() + 60_000).toISOString()
      const window = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`
      const documents: Array<{ readonly name: string; readonly text: string }> = []
      const fetchAs = async (name: string, route: string, who: "token" | Session) => {
        const response = await fetch(`${server.url}/releasepassport/v1${route}`, {
          headers: who === "token" ? { authorization: `Bearer ${reportsToken}` } : { cookie: `releasepassport_session=${who.cookie}` }
        })
        expect(response.status, `${name}: ${route}`).toBe(200)
        const bytes = new Uint8Array(await response.arrayBuffer())
        documents.push({ name, text: Buffer.from(bytes).toString("utf8") })
        return bytes
      }
      for (const who of ["token", viewer] as const) {
        await fetchAs("impact", `/reports/impact?workspace=alpha&${window}`, who)
        await fetchAs("decisions.csv", `/reports/decisions?workspace=alpha&format=csv&${window}`, who)
        await fetchAs("decisions.jsonl", `/reports/decisions?workspace=alpha&format=jsonl&${window}`, who)
        for (const id of passportIds) {
          await fetchAs(`passport ${id} html`, `/passports/${id}/report?workspace=alpha&format=html`, who)
          await fetchAs(`passport ${id} json`, `/passports/${id}/report?workspace=alpha&format=json`, who)
        }
      }
      for (const who of ["token", admin] as const) {
        const zip = await fetchAs("audit pack", `/reports/audit-pack?workspace=alpha&${window}`, who)
        for (const [name, bytes] of await readZip(zip)) documents.push({ name: `audit pack: ${name}`, text: bytes.toString("utf8") })
      }
      // The CLI's own outputs, too.
      const env = { RELEASEPASSPORT_TOKEN: reportsToken }
      const impact = await cli(["report", "impact", "--url", server.url, "--since", "1h"], { env })
      expect(impact.code, impact.stderr).toBe(0)
      documents.push({ name: "cli impact", text: impact.stdout + impact.stderr })
      const pack = path.join(dir, "pack.zip")
      const made = await cli(["report", "audit-pack", "--url", server.url, "--since", "1h", "--output", pack], { env })
      expect(made.code, made.stderr).toBe(0)
      for (const [name, bytes] of await readZip(readFileSync(pack))) documents.push({ name: `cli pack: ${name}`, text: bytes.toString("utf8") })

      // The seeding reached the reports (redacted): the check below is not vacuous.
      const all = documents.map((d) => d.text).join("\n")
      expect(all).toContain("[REDACTED:")
      expect(documents.find((d) => d.name === "decisions.jsonl")!.text.split("\n").length).toBeGreaterThan(passportIds.size)

      const forbidden = [
        ...secrets.map((s) => ["a corpus secret", s] as const),
        ...tokenValues.map((t) => ["a token value", t] as const),
        ...[admin, viewer].flatMap((s) => [["a session id", s.cookie] as const, ["a CSRF token", s.csrf] as const]),
        ["a private detail", PRIVATE_MARK] as const
      ]
      for (const document of documents) {
        for (const [what, value] of forbidden) {
          const at = document.text.indexOf(value)
          const context = at < 0 ? "" : document.text.slice(Math.max(0, at - 300), at).replaceAll(value, "<secret>")
          expect(at, `${what} (${value.slice(0, 6)}…) in ${document.name} after «${context}»`).toBe(-1)
        }
      }
    }, 120_000)
  })
}

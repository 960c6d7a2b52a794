import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { expect } from "vitest"
import { rawPost } from "./client.ts"
import { cliOk } from "./processes.ts"
import { signIn } from "./session.ts"
import type { Session } from "./session.ts"

/** The password every seeded user signs in with. */
export const SEEDED_PASSWORD = "correct horse battery staple"

/**
 * Two workspaces for black-box tests of what one workspace may see of another: `alpha` with a
 * user per role asked for (`<role>@alpha.example.com`), and `beta` with its owner
 * (`owner@beta.example.com`, the outsider). Migrates first; everything through the CLI.
 */
export const seedTwoWorkspaces = async <Role extends string>(databaseUrl: string, alphaRoles: ReadonlyArray<Role>): Promise<void> => {
  const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", databaseUrl], input)
  await run(["migrate"])
  await run(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
  await run(["workspace", "create", "--slug", "beta", "--name", "Beta"])
  for (const role of alphaRoles) await run(["user", "create", "--email", `${role}@alpha.example.com`, "--workspace", "alpha", "--role", role], `${SEEDED_PASSWORD}\n`)
  await run(["user", "create", "--email", "owner@beta.example.com", "--workspace", "beta", "--role", "owner"], `${SEEDED_PASSWORD}\n`)
}

/** A session per seeded alpha role, and `outsider` (beta's owner). */
export const signInSeeded = async <Role extends string>(serverUrl: string, alphaRoles: ReadonlyArray<Role>): Promise<Record<Role | "outsider", Session>> => {
  const sessions = {} as Record<Role | "outsider", Session>
  for (const role of alphaRoles) sessions[role] = await signIn(serverUrl, `${role}@alpha.example.com`, SEEDED_PASSWORD)
  sessions.outsider = await signIn(serverUrl, "owner@beta.example.com", SEEDED_PASSWORD)
  return sessions
}

/** `POST /gate/evaluate` with a token; the answer must be 200. */
export const gateWith = async (serverUrl: string, token: string, request: GateRequest) => {
  const answer = await rawPost(`${serverUrl}/releasepassport/v1/gate/evaluate`, JSON.stringify(request), { authorization: `Bearer ${token}` })
  expect(answer.status, answer.text).toBe(200)
  return answer.json
}

/** `POST /evidence/ingest` with a token; the answer must be 200. */
export const ingestWith = async (serverUrl: string, token: string, batch: EvidenceBatch) => {
  const answer = await rawPost(`${serverUrl}/releasepassport/v1/evidence/ingest`, JSON.stringify(batch), { authorization: `Bearer ${token}` })
  expect(answer.status, answer.text).toBe(200)
  return answer.json
}

/** An evidence batch from CI for the release a gate request names. */
export const evidenceBatchFor = (request: GateRequest, externalId: string, evidence: EvidenceBatch["evidence"]): EvidenceBatch => ({
  source: "github_actions",
  externalId,
  service: { name: request.service.name, namespace: request.service.namespace },
  release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
  artifact: { digest: request.artifact.digest },
  evidence
})

import {
  CommentNotFound,
  CommentNotYours,
  EvidenceIdentityConflict,
  IdempotencyKeyReused,
  InvalidCursor,
  InvalidReportWindow,
  LoginFailed,
  LoginThrottled,
  ObservedInFuture,
  PassportNotFound,
  PolicyBundleNotFound,
  PolicyBundleRejected,
  PolicyInputNotFound,
  SecretInIdentifier,
  SessionRejected,
  StoreUnavailable,
  TokenNotFound
} from "@releasepassport/app"
import { Effect } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApi } from "effect/http-api"
import { readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Api } from "../../src/api/Api.ts"
import { ProblemCodes } from "../../src/api/Problems.ts"
import { domainProblems } from "../../src/http/DomainProblems.ts"

/** One instance of every domain error the table knows, as the use cases raise them. */
const samples: { readonly [K in keyof typeof domainProblems]: Parameters<(typeof domainProblems)[K]>[0] } = {
  StoreUnavailable: new StoreUnavailable({ message: "down" }),
  PassportNotFound: new PassportNotFound(),
  PolicyInputNotFound: new PolicyInputNotFound({ passportId: "pp_1" }),
  CommentNotFound: new CommentNotFound(),
  CommentNotYours: new CommentNotYours(),
  TokenNotFound: new TokenNotFound(),
  InvalidCursor: new InvalidCursor(),
  InvalidReportWindow: new InvalidReportWindow({ message: "since must be before until" }),
  SecretInIdentifier: new SecretInIdentifier({ field: "service.name" }),
  ObservedInFuture: new ObservedInFuture({ type: "smoke" }),
  IdempotencyKeyReused: new IdempotencyKeyReused({ key: "k" }),
  EvidenceIdentityConflict: new EvidenceIdentityConflict({ type: "smoke", passportId: "pp_1" }),
  SessionRejected: new SessionRejected({ reason: "expired" }),
  LoginFailed: new LoginFailed(),
  LoginThrottled: new LoginThrottled({ retryAfterSeconds: 30 }),
  PolicyBundleRejected: new PolicyBundleRejected({ check: "entrypoint", message: "no entrypoint" }),
  PolicyBundleNotFound: new PolicyBundleNotFound({ digest: "sha256:00" })
}

const answer = (tag: keyof typeof domainProblems) =>
  Effect.runSync(
    Effect.flip((domainProblems[tag] as (e: unknown) => Effect.Effect<never, unknown, HttpServerRequest.HttpServerRequest>)(samples[tag])).pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request("http://localhost/")))
    )
  ) as { readonly code: string; readonly constructor: unknown }

/** A declared error's identity: the API wraps each declared class, so compare the problem's identifier. */
const astOf = (schema: unknown) =>
  (schema as { readonly ast: { readonly annotations?: { readonly identifier?: string } } }).ast.annotations?.identifier

/** Every endpoint of the API definition with the error classes it declares (its own and its middlewares'). */
const endpoints: Array<{ readonly name: string; readonly own: ReadonlySet<string | undefined>; readonly all: ReadonlySet<string | undefined> }> = []
HttpApi.reflect(Api, {
  onGroup: () => {},
  onEndpoint: ({ group, endpoint, errors }) =>
    endpoints.push({
      name: `${group.identifier}.${endpoint.identifier}`,
      own: new Set([...endpoint.error].map(astOf)),
      all: new Set([...errors.values()].flat().map(astOf))
    })
})

const codes = new Set<string>(Object.values(ProblemCodes))

describe("the one mapping from domain errors to problems", () => {
  it("covers every domain error of the use cases, each with a code from ProblemCodes", () => {
    for (const tag of Object.keys(samples) as Array<keyof typeof domainProblems>) {
      const problem = answer(tag)
      expect(codes.has(problem.code), `${tag} answers code ${problem.code}, which is not in ProblemCodes`).toBe(true)
    }
  })

  it("answers only with problems that some endpoint of the API declares", () => {
    const declared = new Set(endpoints.flatMap((e) => [...e.all]))
    for (const tag of Object.keys(samples) as Array<keyof typeof domainProblems>) {
      expect(declared.has(astOf(answer(tag).constructor)), `${tag} answers a problem no endpoint declares`).toBe(true)
    }
  })

  it("every error an endpoint declares has a source: the table, or a middleware of that endpoint", () => {
    const fromTable = new Set((Object.keys(samples) as Array<keyof typeof domainProblems>).map((tag) => astOf(answer(tag).constructor)))
    expect(endpoints.length).toBeGreaterThan(10)
    for (const endpoint of endpoints) {
      for (const error of endpoint.own) {
        expect(fromTable.has(error), `${endpoint.name} declares an error (${String(error)}) that nothing answers`)
          .toBe(true)
      }
    }
  })

  it("ProblemCodes is the only place a problem code is written", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url))
    const offenders: Array<string> = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const file = path.join(dir, entry)
        if (statSync(file).isDirectory()) walk(file)
        else if (file.endsWith(".ts") && !file.endsWith(path.join("api", "Problems.ts"))) {
          const text = readFileSync(file, "utf8")
          for (const match of text.matchAll(/\bcode:\s*["'`]/g)) offenders.push(`${path.relative(root, file)} @${match.index}`)
        }
      }
    }
    for (const pkg of ["server", "app", "console"]) {
      const src = path.join(root, pkg, "src")
      try {
        statSync(src)
      } catch {
        continue
      }
      walk(src)
    }
    expect(offenders).toEqual([])
  })
})

import { EvidenceStatus, GateRequest } from "@releasepassport/core"
import type { EvidenceFacts, Finding } from "@releasepassport/core"
import { Console, Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { readFile } from "node:fs/promises"
import { fail } from "./common.ts"
import { ExitCode } from "./GateCommands.ts"
import { policyAuthoringCommands } from "./policy/PolicyAuthoringCommands.ts"
import { policyServerCommands } from "./PolicyServerCommands.ts"

/** Evidence as a test fixture: what the policies see, with defaults for what a test does not care about. */
const EvidenceFixture = Schema.Array(Schema.Struct({
  id: Schema.optionalKey(Schema.String),
  source: Schema.optionalKey(Schema.String),
  type: Schema.String,
  status: EvidenceStatus,
  summary: Schema.optionalKey(Schema.String),
  artifactDigest: Schema.optionalKey(Schema.String),
  sourceSha: Schema.optionalKey(Schema.String),
  observedAt: Schema.optionalKey(Schema.String)
}))

const readJson = (path: string) =>
  Effect.tryPromise({
    try: async () => JSON.parse(await readFile(path, "utf8")) as unknown,
    catch: (error) =>
      error instanceof SyntaxError ? `${path} is not valid JSON` : `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
  }).pipe(Effect.catch((message) => fail(message)))

const line = (finding: Finding) =>
  `    - ${finding.code} [${finding.policy}]: ${finding.message}${finding.remediation ? `\n      fix: ${finding.remediation}` : ""}`

const evaluate = Command.make(
  "eval",
  {
    bundle: Flag.String("bundle").pipe(Flag.withDescription("Compiled bundle (tar.gz); default: the bundled policies"), Flag.optional),
    request: Flag.String("request").pipe(Flag.withDescription("Gate request JSON, as sent to POST /gate/evaluate")),
    evidence: Flag.String("evidence").pipe(
      Flag.withDescription("JSON array of evidence items ({type, status, ...}) the release has"),
      Flag.optional
    ),
    now: Flag.String("now").pipe(Flag.withDescription("The instant to evaluate at (RFC 3339); default: now"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the verdict as JSON"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    const bundlePath = Option.isSome(flags.bundle)
      ? flags.bundle.value
      : (yield* Effect.promise(() => import("@releasepassport/server"))).defaultPolicyBundlePath()
    const bytes = yield* Effect.tryPromise({ try: () => readFile(bundlePath), catch: () => `cannot read ${bundlePath}` }).pipe(
      Effect.catch((message) => fail(message))
    )
    // The policy engine (opa-wasm) loads when a bundle is evaluated, not at start-up.
    const { evaluateGate, loadPolicyBundle } = yield* Effect.promise(() => import("./lazy/policyEngine.ts"))
    const bundle = yield* loadPolicyBundle(bytes).pipe(Effect.catch((error) => fail(`${bundlePath}: ${error.message}`)))
    const request = yield* Schema.decodeUnknownEffect(GateRequest)(yield* readJson(flags.request), { errors: "all" }).pipe(
      Effect.catch((error) => fail(`${flags.request} is not a gate request: ${error.message}`))
    )
    const nowText = Option.getOrUndefined(flags.now)
    const now = nowText === undefined ? new Date() : new Date(nowText)
    if (Number.isNaN(now.getTime())) return yield* fail("--now must be an RFC 3339 date-time")
    const evidencePath = Option.getOrUndefined(flags.evidence)
    const fixtures = evidencePath === undefined
      ? []
      : yield* Schema.decodeUnknownEffect(EvidenceFixture)(yield* readJson(evidencePath), { errors: "all" }).pipe(
        Effect.catch((error) => fail(`${evidencePath} is not a list of evidence items: ${error.message}`))
      )
    const evidence: Array<EvidenceFacts> = fixtures.map((item, i) => ({
      id: item.id ?? `evd_local_${i}`,
      source: item.source ?? "local",
      type: item.type,
      status: item.status,
      summary: item.summary ?? "",
      artifactDigest: item.artifactDigest ?? request.artifact.digest,
      sourceSha: item.sourceSha ?? request.release.sourceSha,
      observedAt: item.observedAt ?? now.toISOString(),
      receivedAt: item.observedAt ?? now.toISOString()
    }))
    // First sight of the release: the passport is what this request names.
    const verdict = yield* evaluateGate(bundle, {
      request,
      passport: {
        id: "pp_local",
        releaseId: request.release.releaseId,
        artifactDigest: request.artifact.digest,
        sourceSha: request.release.sourceSha,
        service: { name: request.service.name, namespace: request.service.namespace }
      },
      evidence,
      now
    })
    if (flags.json) {
      yield* Console.log(JSON.stringify(verdict, null, 2))
    } else {
      yield* Console.log(
        [
          `${verdict.allowed ? (verdict.wouldBlock ? "ALLOWED (shadow; enforce would block)" : "ALLOWED") : "BLOCKED"}  verdict=${verdict.verdict}  mode=${verdict.mode}  policy ${verdict.policy.revision} (${verdict.policy.bundleDigest})`,
          ...(verdict.blockers.length > 0 ? ["  blockers:", ...verdict.blockers.map(line)] : []),
          ...(verdict.warnings.length > 0 ? ["  warnings:", ...verdict.warnings.map(line)] : [])
        ].join("\n")
      )
    }
    process.exitCode = verdict.allowed ? ExitCode.allowed : ExitCode.blocked
  })
).pipe(
  Command.withDescription(
    "Evaluate a gate request against a bundle locally (no server, no database): the verdict the server would give on first sight of the release. Exit 0 allowed, 1 blocked, 2 error."
  ),
  Command.withExamples([{
    command: "releasepassport policy eval --request gate.json --evidence evidence.json --now 2026-11-28T12:00:00Z",
    description: "Try a policy change before rolling it out"
  }])
)

export const policyCommand = Command.make("policy").pipe(
  Command.withDescription(
    "Write, test and build your own policies (init, fmt, test, check, build: they need opa), evaluate a bundle locally, push one to your workspace, activate it, list them. See docs/policies.md."
  ),
  Command.withSubcommands([...policyAuthoringCommands, evaluate, ...policyServerCommands])
)

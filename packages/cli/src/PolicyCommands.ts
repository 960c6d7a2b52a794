import { EvidenceStatus, GateRequest } from "@releasepassport/core"
import type { EvidenceFacts, Finding, PolicyInput, Verdict } from "@releasepassport/core"
import type { PassportPolicyInput } from "@releasepassport/app"
import { Console, Effect, Option, Schema } from "effect"
import type { Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { readFile } from "node:fs/promises"
import { callApi, tokenFlag, urlFlag } from "./ApiClient.ts"
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

const verdictLine = (verdict: Verdict) =>
  `${verdict.allowed ? (verdict.wouldBlock ? "ALLOWED (shadow; enforce would block)" : "ALLOWED") : "BLOCKED"}  verdict=${verdict.verdict}  mode=${verdict.mode}  policy ${verdict.policy.revision} (${verdict.policy.bundleDigest})`

/** Codes in `a` that `b` does not have, one per finding (two of a code are two). */
const codesMissingFrom = (a: ReadonlyArray<Finding>, b: ReadonlyArray<Finding>): Array<string> => {
  const left = new Map<string, number>()
  for (const finding of b) left.set(finding.code, (left.get(finding.code) ?? 0) + 1)
  const missing: Array<string> = []
  for (const finding of a) {
    const count = left.get(finding.code) ?? 0
    if (count > 0) left.set(finding.code, count - 1)
    else missing.push(finding.code)
  }
  return missing.sort()
}

/** What re-running a stored input changed: the verdict, and the blockers added and removed (by code). */
export const passportDifferences = (stored: PassportPolicyInput["stored"], verdict: Verdict) => ({
  verdict: stored.verdict === verdict.verdict ? null : { from: stored.verdict, to: verdict.verdict },
  addedBlockers: codesMissingFrom(verdict.blockers, stored.blockers),
  removedBlockers: codesMissingFrom(stored.blockers, verdict.blockers)
})

const readBundle = (bundlePath: string) =>
  Effect.tryPromise({ try: () => readFile(bundlePath), catch: () => `cannot read ${bundlePath}` }).pipe(
    Effect.catch((message) => fail(message))
  )

const defaultBundlePath = Effect.promise(() => import("@releasepassport/server")).pipe(Effect.map((server) => server.defaultPolicyBundlePath()))

/**
 * `policy eval --passport ID`: the passport's newest evaluation input from the server (a token
 * with reports:read or policy:write), re-run here through `--bundle` or the workspace's active
 * bundle (downloaded), and what differs from the verdict stored then.
 */
const evaluatePassport = (flags: {
  readonly passportId: string
  readonly bundle: Option.Option<string>
  readonly url: Option.Option<string>
  readonly token: Option.Option<Redacted.Redacted<string>>
  readonly json: boolean
}) =>
  Effect.gen(function*() {
    if (Option.isNone(flags.url) || Option.isNone(flags.token)) {
      return yield* fail("--passport reads the passport from the server: pass --url and --token (or RELEASEPASSPORT_URL, RELEASEPASSPORT_TOKEN)")
    }
    const options = { baseUrl: flags.url.value, token: flags.token.value, timeoutMs: 60_000 }
    const stored = yield* callApi(options, (client) => client.policies.passportInput({ params: { id: flags.passportId }, query: {} })).pipe(
      Effect.catch((error) => fail(`policy eval --passport failed: ${error.message}`))
    )
    let bytes: Uint8Array
    let source: string
    if (Option.isSome(flags.bundle)) {
      bytes = yield* readBundle(flags.bundle.value)
      source = flags.bundle.value
    } else if (stored.active !== null) {
      const digest = stored.active
      bytes = yield* callApi(options, (client) => client.policies.bundle({ params: { digest }, query: {} })).pipe(
        Effect.catch((error) => fail(`cannot download the active bundle ${digest}: ${error.message}`))
      )
      source = `the workspace's active bundle ${digest}`
    } else {
      const file = yield* defaultBundlePath
      bytes = yield* readBundle(file)
      source = "the default bundle this CLI ships (the workspace has no active bundle of its own)"
    }
    const { evaluatePolicyInput, loadPolicyBundle } = yield* Effect.promise(() => import("./lazy/policyEngine.ts"))
    const bundle = yield* loadPolicyBundle(bytes).pipe(Effect.catch((error) => fail(`${source}: ${error.message}`)))
    const verdict = yield* evaluatePolicyInput(bundle, stored.policyInput as PolicyInput)
    const differences = passportDifferences(stored.stored, verdict)
    if (flags.json) {
      yield* Console.log(JSON.stringify({
        passportId: stored.passportId,
        evaluationId: stored.evaluationId,
        environment: stored.environment,
        evaluatedAt: stored.evaluatedAt,
        stored: stored.stored,
        verdict,
        differences
      }, null, 2))
    } else {
      const same = differences.verdict === null && differences.addedBlockers.length === 0 && differences.removedBlockers.length === 0
      yield* Console.log([
        `passport ${stored.passportId}, evaluation ${stored.evaluationId} (${stored.environment}, ${stored.evaluatedAt}), re-run with ${source}`,
        verdictLine(verdict),
        ...(verdict.blockers.length > 0 ? ["  blockers:", ...verdict.blockers.map(line)] : []),
        ...(verdict.warnings.length > 0 ? ["  warnings:", ...verdict.warnings.map(line)] : []),
        `stored: verdict=${stored.stored.verdict}  policy ${stored.stored.revision}`,
        ...(same ? ["no difference from the stored verdict"] : [
          "differs from the stored verdict:",
          ...(differences.verdict === null ? [] : [`  verdict ${differences.verdict.from} -> ${differences.verdict.to}`]),
          ...differences.addedBlockers.map((code) => `  + ${code}`),
          ...differences.removedBlockers.map((code) => `  - ${code}`)
        ])
      ].join("\n"))
    }
    process.exitCode = verdict.allowed ? ExitCode.allowed : ExitCode.blocked
  })

const evaluate = Command.make(
  "eval",
  {
    bundle: Flag.String("bundle").pipe(
      Flag.withDescription("Compiled bundle (tar.gz); default: the bundled policies (with --passport: the workspace's active bundle)"),
      Flag.optional
    ),
    request: Flag.String("request").pipe(Flag.withDescription("Gate request JSON, as sent to POST /gate/evaluate"), Flag.optional),
    passport: Flag.String("passport").pipe(
      Flag.withDescription("Instead of --request: re-run this passport's latest stored evaluation input (from the server) and show what differs"),
      Flag.optional
    ),
    url: urlFlag.pipe(Flag.optional),
    token: tokenFlag.pipe(Flag.optional),
    evidence: Flag.String("evidence").pipe(
      Flag.withDescription("JSON array of evidence items ({type, status, ...}) the release has"),
      Flag.optional
    ),
    now: Flag.String("now").pipe(Flag.withDescription("The instant to evaluate at (RFC 3339); default: now"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the verdict as JSON"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    if (Option.isSome(flags.passport)) {
      if (Option.isSome(flags.request)) return yield* fail("pass --request or --passport, not both")
      return yield* evaluatePassport({ passportId: flags.passport.value, bundle: flags.bundle, url: flags.url, token: flags.token, json: flags.json })
    }
    if (Option.isNone(flags.request)) return yield* fail("pass --request FILE (a gate request) or --passport ID (a stored one)")
    const requestPath = flags.request.value
    const bundlePath = Option.isSome(flags.bundle) ? flags.bundle.value : yield* defaultBundlePath
    const bytes = yield* readBundle(bundlePath)
    // The policy engine (opa-wasm) loads when a bundle is evaluated, not at start-up.
    const { evaluateGate, loadPolicyBundle } = yield* Effect.promise(() => import("./lazy/policyEngine.ts"))
    const bundle = yield* loadPolicyBundle(bytes).pipe(Effect.catch((error) => fail(`${bundlePath}: ${error.message}`)))
    const request = yield* Schema.decodeUnknownEffect(GateRequest)(yield* readJson(requestPath), { errors: "all" }).pipe(
      Effect.catch((error) => fail(`${requestPath} is not a gate request: ${error.message}`))
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
          verdictLine(verdict),
          ...(verdict.blockers.length > 0 ? ["  blockers:", ...verdict.blockers.map(line)] : []),
          ...(verdict.warnings.length > 0 ? ["  warnings:", ...verdict.warnings.map(line)] : [])
        ].join("\n")
      )
    }
    process.exitCode = verdict.allowed ? ExitCode.allowed : ExitCode.blocked
  })
).pipe(
  Command.withDescription(
    "Evaluate a gate request against a bundle locally (no server, no database): the verdict the server would give on first sight of the release. With --passport: re-run a stored passport's latest evaluation input (read from the server) through a local bundle and show what differs. Exit 0 allowed, 1 blocked, 2 error."
  ),
  Command.withExamples([{
    command: "releasepassport policy eval --request gate.json --evidence evidence.json --now 2026-11-28T12:00:00Z",
    description: "Try a policy change before rolling it out"
  }, {
    command: "releasepassport policy eval --passport pp_01HXR8K3M2 --bundle bundle.tar.gz",
    description: "What a new bundle would decide for a real release, against what it got"
  }])
)

export const policyCommand = Command.make("policy").pipe(
  Command.withDescription(
    "Write, test and build your own policies (init, fmt, test, check, build: they need opa), evaluate a bundle locally, push one to your workspace, activate it, list them. See docs/policies.md."
  ),
  Command.withSubcommands([...policyAuthoringCommands, evaluate, ...policyServerCommands])
)

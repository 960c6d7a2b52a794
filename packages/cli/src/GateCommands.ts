import { Console, Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { randomUUID } from "node:crypto"
import { readFile } from "node:fs/promises"
import { text } from "node:stream/consumers"
import { GateResponse } from "@releasepassport/app"
import { GateRequest } from "@releasepassport/core"
import type { Finding } from "@releasepassport/core"
import { callApi, retriesFlag, timeoutFlag, tokenFlag, urlFlag } from "./ApiClient.ts"

/** Exit codes for pipelines. */
export const ExitCode = { allowed: 0, blocked: 1, error: 2 } as const

const formatFinding = (finding: Finding) =>
  [
    `    - ${finding.code} [${finding.policy}]: ${finding.message}`,
    ...(finding.remediation !== undefined ? [`      fix: ${finding.remediation}`] : []),
    ...(finding.evidence !== undefined ? [`      evidence: ${finding.evidence.join(", ")}`] : [])
  ].join("\n")

/** The verdict as a pipeline log wants it: the decision first, then why. */
export const formatVerdict = (answer: GateResponse): string => {
  const head = answer.allowed ? (answer.wouldBlock ? "ALLOWED (shadow; enforce would block)" : "ALLOWED") : "BLOCKED"
  return [
    `${head}  verdict=${answer.verdict}  mode=${answer.mode}  ${answer.service.namespace}/${answer.service.name} -> ${answer.service.environment}  release=${answer.release.releaseId}`,
    `  passport ${answer.passportId}  evaluation ${answer.evaluationId}  policy ${answer.policy.revision} (${answer.policy.bundleDigest})`,
    ...(answer.blockers.length > 0 ? ["  blockers:", ...answer.blockers.map(formatFinding)] : []),
    ...(answer.warnings.length > 0 ? ["  warnings:", ...answer.warnings.map(formatFinding)] : [])
  ].join("\n")
}

const evaluate = Command.make(
  "evaluate",
  {
    url: urlFlag,
    token: tokenFlag,
    file: Flag.String("file").pipe(Flag.withDescription("Gate request JSON (see the API reference); - reads stdin")),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the answer as JSON"), Flag.withDefault(false)),
    idempotencyKey: Flag.String("idempotency-key").pipe(
      Flag.withDescription(
        "Idempotency-Key header (default: a fresh one per invocation): every retry, and a rerun with the same key, records one evaluation and gets the first answer"
      ),
      Flag.optional
    ),
    timeout: timeoutFlag,
    retries: retriesFlag
  },
  Effect.fn(function*(flags) {
    const outcome = yield* Effect.gen(function*() {
      if (flags.timeout <= 0) return yield* Effect.fail("--timeout must be a positive number of seconds")
      if (flags.retries < 0 || flags.retries > 20) return yield* Effect.fail("--retries must be 0-20")
      const raw = yield* Effect.tryPromise({
        try: () => (flags.file === "-" ? text(process.stdin) : readFile(flags.file, "utf8")),
        catch: (error) => `cannot read ${flags.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
      })
      const body = yield* Effect.try({ try: () => JSON.parse(raw) as unknown, catch: () => `${flags.file} is not valid JSON` })
      const payload = yield* Schema.decodeUnknownEffect(GateRequest)(body, { errors: "all" }).pipe(
        Effect.mapError((error) => `${flags.file} is not a gate request:\n${error.message}`)
      )
      // Every attempt carries the same key (the caller's, else one made here), so a retry after a
      // timeout, when the first attempt may have recorded an evaluation, gets that one back
      // instead of recording a second.
      const idempotencyKey = Option.isSome(flags.idempotencyKey) ? flags.idempotencyKey.value : `rp-cli-${randomUUID()}`
      return yield* callApi(
        { baseUrl: flags.url, token: flags.token, timeoutMs: flags.timeout * 1000, retries: flags.retries, retryOn: ["refused", "timeout", "server"] },
        (client) => client.gate.evaluate({ payload, headers: { "idempotency-key": idempotencyKey } })
      ).pipe(
        Effect.mapError((error) => error.message)
      )
    }).pipe(Effect.result)
    if (outcome._tag === "Failure") {
      yield* Console.error(`gate evaluate failed: ${outcome.failure}`)
      process.exitCode = ExitCode.error
      return
    }
    const answer = outcome.success
    yield* Console.log(flags.json ? JSON.stringify(answer, null, 2) : formatVerdict(answer))
    // `error` is its own exit code even in shadow, so a pipeline can tell "policy broken" from "blocked".
    process.exitCode = answer.verdict === "error" ? ExitCode.error : answer.allowed ? ExitCode.allowed : ExitCode.blocked
  })
).pipe(
  Command.withDescription(
    "Ask the server for a verdict. Transient failures (unreachable, 503, no answer in time, another 5xx) are retried with the same Idempotency-Key, so a retry never records a second evaluation. Exit 0 allowed, 1 blocked, 2 verdict error (the policy could not decide), unreachable or refused."
  ),
  Command.withExamples([{
    command: "RELEASEPASSPORT_TOKEN=rp_... releasepassport gate evaluate --url https://rp.example.com --file gate.json",
    description: "Gate a promotion in CI"
  }])
)

export const gateCommand = Command.make("gate").pipe(
  Command.withDescription("Pipeline client for release verdicts"),
  Command.withSubcommands([evaluate])
)

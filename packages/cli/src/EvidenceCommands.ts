import { EvidenceBatch, EvidenceStatuses } from "@releasepassport/core"
import { Console, Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { readFile } from "node:fs/promises"
import { text } from "node:stream/consumers"
import { randomUUID } from "node:crypto"
import { callApi, retriesFlag, timeoutFlag, tokenFlag, urlFlag } from "./ApiClient.ts"
import { ExitCode } from "./GateCommands.ts"

const optionalString = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

const ingest = Command.make(
  "ingest",
  {
    url: urlFlag,
    token: tokenFlag,
    file: optionalString("file", "Evidence batch JSON as documented (- reads stdin). Or describe one item with the flags below."),
    idempotencyKey: optionalString("idempotency-key", "Idempotency-Key header: a retry with the same key gets the first answer"),
    source: optionalString("source", "Connector that produced the evidence, e.g. github_actions"),
    externalId: optionalString("external-id", "Its id there, e.g. the run id"),
    type: optionalString("type", "Evidence type, e.g. smoke"),
    status: Flag.Literals("status", EvidenceStatuses).pipe(Flag.withDescription("Outcome"), Flag.optional),
    summary: optionalString("summary", "One line for humans (sanitized before storing)"),
    service: optionalString("service", "Service name"),
    namespace: optionalString("namespace", "Service namespace"),
    releaseId: optionalString("release-id", "Release id"),
    sourceSha: optionalString("source-sha", "Source commit"),
    digest: optionalString("digest", "Artifact digest (sha256:...)"),
    observedAt: optionalString("observed-at", "When it ran (RFC 3339); default now"),
    itemUrl: optionalString("item-url", "Link to the run or report"),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the answer as JSON"), Flag.withDefault(false)),
    timeout: timeoutFlag,
    retries: retriesFlag
  },
  Effect.fn(function*(flags) {
    const outcome = yield* Effect.gen(function*() {
      if (flags.timeout <= 0) return yield* Effect.fail("--timeout must be a positive number of seconds")
      if (flags.retries < 0 || flags.retries > 20) return yield* Effect.fail("--retries must be 0-20")
      let body: unknown
      if (Option.isSome(flags.file)) {
        const path = flags.file.value
        const raw = yield* Effect.tryPromise({
          try: () => (path === "-" ? text(process.stdin) : readFile(path, "utf8")),
          catch: (error) => `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
        })
        body = yield* Effect.try({ try: () => JSON.parse(raw) as unknown, catch: () => `${path} is not valid JSON` })
      } else {
        const required = {
          "--source": flags.source,
          "--external-id": flags.externalId,
          "--type": flags.type,
          "--status": flags.status,
          "--service": flags.service,
          "--namespace": flags.namespace,
          "--release-id": flags.releaseId,
          "--source-sha": flags.sourceSha,
          "--digest": flags.digest
        }
        const missing = Object.entries(required).filter(([, value]) => Option.isNone(value)).map(([name]) => name)
        if (missing.length > 0) return yield* Effect.fail(`give --file, or describe the item with ${missing.join(", ")}`)
        const get = <A>(option: Option.Option<A>) => Option.getOrThrow(option)
        body = {
          source: get(flags.source),
          externalId: get(flags.externalId),
          service: { name: get(flags.service), namespace: get(flags.namespace) },
          release: { releaseId: get(flags.releaseId), sourceSha: get(flags.sourceSha) },
          artifact: { digest: get(flags.digest) },
          evidence: [{
            type: get(flags.type),
            status: get(flags.status),
            summary: Option.getOrElse(flags.summary, () => ""),
            ...(Option.isSome(flags.observedAt) ? { observedAt: flags.observedAt.value } : {}),
            ...(Option.isSome(flags.itemUrl) ? { url: flags.itemUrl.value } : {})
          }]
        }
      }
      const payload = yield* Schema.decodeUnknownEffect(EvidenceBatch)(body, { errors: "all" }).pipe(
        Effect.mapError((error) => `not an evidence batch:\n${error.message}`)
      )
      // Every attempt carries the same key (the caller's, else one made here), so a retry after a
      // timeout, when the first attempt may have been stored, gets the first answer back.
      const idempotencyKey = Option.isSome(flags.idempotencyKey) ? flags.idempotencyKey.value : `rp-cli-${randomUUID()}`
      return yield* callApi(
        { baseUrl: flags.url, token: flags.token, timeoutMs: flags.timeout * 1000, retries: flags.retries, retryOn: ["refused", "timeout", "server"] },
        (client) => client.evidence.ingest({ payload, headers: { "idempotency-key": idempotencyKey } })
      ).pipe(Effect.mapError((error) => error.message))
    }).pipe(Effect.result)
    if (outcome._tag === "Failure") {
      yield* Console.error(`evidence ingest failed: ${outcome.failure}`)
      process.exitCode = ExitCode.error
      return
    }
    const answer = outcome.success
    if (flags.json) {
      yield* Console.log(JSON.stringify(answer, null, 2))
    } else {
      yield* Console.log(`stored on passport ${answer.passportId} (${answer.source} ${answer.externalId}), ${answer.redactions} value(s) redacted`)
      for (const item of answer.items) {
        const flagsText = [item.digestMismatch ? "digest mismatch" : "", item.sourceShaMismatch ? "source sha mismatch" : ""]
          .filter(Boolean).join(", ")
        yield* Console.log(`  ${item.type}: ${item.outcome} ${item.id} (version ${item.version})${flagsText ? `  [${flagsText}]` : ""}`)
      }
    }
    process.exitCode = ExitCode.allowed
  })
).pipe(
  Command.withDescription("Attach evidence to a release's passport. Exit 0 stored, 2 error."),
  Command.withExamples([
    { command: "releasepassport evidence ingest --url $RP_URL --file evidence.json", description: "A documented batch" },
    {
      command:
        "releasepassport evidence ingest --url $RP_URL --source github_actions --external-id run-1 --type smoke --status passed --summary ok --service checkout-api --namespace apps-checkout --release-id gh-1 --source-sha 9f3c8b7 --digest sha256:...",
      description: "One item from flags"
    }
  ])
)

export const evidenceCommand = Command.make("evidence").pipe(
  Command.withDescription("Pipeline client for evidence"),
  Command.withSubcommands([ingest])
)

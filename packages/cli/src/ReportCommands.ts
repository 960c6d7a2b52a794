import { Console, Effect, Option, Redacted, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { createWriteStream } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { ImpactReport } from "@releasepassport/app"
import { tokenFlag, urlFlag } from "./ApiClient.ts"
import { fail, parseDuration } from "./common.ts"

const optionalString = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

const sinceFlag = optionalString("since", "Start of the window: a duration back from now (30d, 12h, 2w) or an RFC 3339 time; default 30d")
const untilFlag = optionalString("until", "End of the window (exclusive): a duration back from now or an RFC 3339 time; default now")
const outputFlag = optionalString("output", "Write to this file instead of stdout")

/** `30d` means "30 days before now"; anything else must be an RFC 3339 time, passed on as given. */
export const windowTime = (value: string, now: number): string | undefined => {
  const duration = parseDuration(value)
  if (duration !== undefined) return new Date(now - duration).toISOString()
  return /^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(Date.parse(value)) ? value : undefined
}

const windowOf = (flags: { readonly since: Option.Option<string>; readonly until: Option.Option<string> }) =>
  Effect.gen(function*() {
    const now = Date.now()
    const query: Record<string, string> = {}
    for (const [key, option] of [["since", flags.since], ["until", flags.until]] as const) {
      if (Option.isNone(option)) continue
      const time = windowTime(option.value, now)
      if (time === undefined) return yield* fail(`--${key} ${option.value}: expected a duration such as 30d or an RFC 3339 time`)
      query[key] = time
    }
    return query
  })

const filterQuery = (flags: Record<string, Option.Option<string> | unknown>, names: ReadonlyArray<string>) => {
  const query: Record<string, string> = {}
  for (const name of names) {
    const value = flags[name]
    if (Option.isOption(value) && Option.isSome(value)) query[name] = String(value.value)
  }
  return query
}

/**
 * A report request with the token. Plain fetch rather than the typed client: the report
 * routes accept a session or a token, and their bodies are byte streams, not values.
 */
const fetchReport = (options: {
  readonly url: string
  readonly token: Redacted.Redacted<string>
  readonly path: string
  readonly query: Record<string, string>
}) =>
  Effect.gen(function*() {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      return yield* fail(`not a URL: ${options.url}`)
    }
    // Loaded when a report is fetched: the base path comes with the API definition, not needed at start-up.
    const { BASE_PATH } = yield* Effect.promise(() => import("@releasepassport/server/api"))
    const target = new URL(`${base.href.replace(/\/+$/, "")}${BASE_PATH}${options.path}`)
    for (const [key, value] of Object.entries(options.query)) target.searchParams.set(key, value)
    const response = yield* Effect.tryPromise({
      try: () => fetch(target, { headers: { authorization: `Bearer ${Redacted.value(options.token)}` } }),
      catch: () => `cannot reach ${base.origin}`
    }).pipe(Effect.catch((message) => fail(message)))
    if (!response.ok || response.body === null) {
      const problem = yield* Effect.promise(() => response.json().catch(() => undefined)) as Effect.Effect<
        { code?: string; detail?: string } | undefined
      >
      return yield* fail(
        `${response.status} ${response.statusText}${problem?.code !== undefined ? ` (${problem.code})` : ""}: ${problem?.detail ?? "unexpected answer"}`
      )
    }
    return response
  })

/** A report download, written as it arrives (the server streams; so does this), to --output or stdout. */
const download = (options: Parameters<typeof fetchReport>[0] & { readonly output: Option.Option<string> }) =>
  Effect.gen(function*() {
    const response = yield* fetchReport(options)
    const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>)
    const sink: Writable = Option.isSome(options.output) ? createWriteStream(options.output.value, { mode: 0o600 }) : process.stdout
    yield* Effect.tryPromise({
      try: () => pipeline(body, sink, { end: Option.isSome(options.output) }),
      catch: (error) => `download failed: ${(error as Error).message}`
    }).pipe(Effect.catch((message) => fail(message)))
    if (Option.isSome(options.output)) yield* Console.error(`wrote ${options.output.value}`)
  })

const formatImpact = (report: ImpactReport): string => {
  const rules = (title: string, list: ImpactReport["shadow"]["wouldBlock"]["byRule"]) =>
    list.length === 0
      ? []
      : [title, ...list.map((r) => `    ${r.code}  ${r.evaluations} evaluations, ${r.releases} releases, ${r.firstAt} .. ${r.lastAt}`)]
  return [
    `window ${report.window.since} .. ${report.window.until}`,
    `shadow: ${report.shadow.evaluations} evaluations, ${report.shadow.releases} releases`,
    `  enforce would have blocked: ${report.shadow.wouldBlock.evaluations} evaluations, ${report.shadow.wouldBlock.releases} releases`,
    ...rules("  by rule:", report.shadow.wouldBlock.byRule),
    `  allowed and would be allowed: ${report.shadow.wouldAllow.evaluations} evaluations`,
    `  policy errors: ${report.shadow.errors.evaluations} evaluations`,
    `enforce: ${report.enforce.evaluations} evaluations, blocked ${report.enforce.blocked.evaluations}, policy errors ${report.enforce.errors.evaluations}`,
    ...rules("  blocked by rule:", report.enforce.blocked.byRule)
  ].join("\n")
}

const impact = Command.make(
  "impact",
  {
    url: urlFlag,
    token: tokenFlag,
    since: sinceFlag,
    until: untilFlag,
    environment: optionalString("environment", "Only this environment"),
    service: optionalString("service", "Only this service"),
    namespace: optionalString("namespace", "Only this namespace"),
    format: Flag.Literals("format", ["text", "json"]).pipe(Flag.withDescription("text (default) or json"), Flag.withDefault("text" as const)),
    output: outputFlag
  },
  Effect.fn(function*(flags) {
    const query = { ...(yield* windowOf(flags)), ...filterQuery(flags, ["environment", "service", "namespace"]) }
    const response = yield* fetchReport({ url: flags.url, token: flags.token, path: "/reports/impact", query })
    const report = yield* Effect.tryPromise(() => response.json()).pipe(
      Effect.flatMap(Schema.decodeUnknownEffect(ImpactReport)),
      Effect.catch(() => fail("report impact: unexpected answer (is it a Release Passport server?)"))
    )
    const text = flags.format === "json" ? JSON.stringify(report, null, 2) + "\n" : formatImpact(report) + "\n"
    const output = flags.output
    if (Option.isSome(output)) yield* Effect.promise(() => writeFile(output.value, text, { mode: 0o600 }))
    else yield* Effect.sync(() => process.stdout.write(text))
  })
).pipe(Command.withDescription("What enforce would have blocked among shadow evaluations, by rule, service and environment"))

const decisions = Command.make(
  "decisions",
  {
    url: urlFlag,
    token: tokenFlag,
    since: sinceFlag,
    until: untilFlag,
    environment: optionalString("environment", "Only this environment"),
    service: optionalString("service", "Only this service"),
    namespace: optionalString("namespace", "Only this namespace"),
    verdict: Flag.Literals("verdict", ["pass", "warn", "fail", "error"]).pipe(Flag.withDescription("Only this verdict"), Flag.optional),
    mode: Flag.Literals("mode", ["shadow", "enforce"]).pipe(Flag.withDescription("Only this mode"), Flag.optional),
    format: Flag.Literals("format", ["csv", "jsonl"]).pipe(Flag.withDescription("csv (default) or jsonl"), Flag.withDefault("csv" as const)),
    output: outputFlag
  },
  Effect.fn(function*(flags) {
    const query = {
      ...(yield* windowOf(flags)),
      ...filterQuery(flags, ["environment", "service", "namespace", "verdict", "mode"]),
      format: flags.format
    }
    yield* download({ url: flags.url, token: flags.token, path: "/reports/decisions", query, output: flags.output })
  })
).pipe(Command.withDescription("Every gate decision of the window (CSV or JSON Lines), streamed"))

const passport = Command.make(
  "passport",
  {
    url: urlFlag,
    token: tokenFlag,
    id: Argument.String("id").pipe(Argument.withDescription("The passport's id (pp_...)")),
    format: Flag.Literals("format", ["html", "json"]).pipe(Flag.withDescription("html (default, printable) or json"), Flag.withDefault("html" as const)),
    output: outputFlag
  },
  Effect.fn(function*(flags) {
    yield* download({
      url: flags.url,
      token: flags.token,
      path: `/passports/${encodeURIComponent(flags.id)}/report`,
      query: { format: flags.format },
      output: flags.output
    })
  })
).pipe(Command.withDescription("One release's report for a change record (printable HTML or JSON)"))

const auditPack = Command.make(
  "audit-pack",
  {
    url: urlFlag,
    token: tokenFlag,
    since: sinceFlag,
    until: untilFlag,
    output: Flag.String("output").pipe(Flag.withDescription("The .zip to write"))
  },
  Effect.fn(function*(flags) {
    yield* download({
      url: flags.url,
      token: flags.token,
      path: "/reports/audit-pack",
      query: yield* windowOf(flags),
      output: Option.some(flags.output)
    })
  })
).pipe(Command.withDescription("A zip for auditors: manifest, hash-chained decisions.csv, a report per release, a summary"))

const verify = Command.make(
  "verify",
  { pack: Argument.String("pack").pipe(Argument.withDescription("The audit pack (.zip)")) },
  Effect.fn(function*(flags) {
    const outcome = yield* Effect.tryPromise({
      try: async () => {
        const [{ readZipEntries, verifyAuditPack }, bytes] = await Promise.all([import("./lazy/auditPack.ts"), readFile(flags.pack)])
        return verifyAuditPack(await readZipEntries(bytes))
      },
      catch: (error) => `${flags.pack}: cannot read the pack (${(error as Error).message ?? String(error)})`
    }).pipe(Effect.result)
    if (outcome._tag === "Failure") {
      yield* Console.error(outcome.failure)
      process.exitCode = 1
      return
    }
    if (outcome.success.length > 0) {
      for (const problem of outcome.success) yield* Console.error(`MISMATCH ${problem}`)
      process.exitCode = 1
      return
    }
    yield* Console.log(`OK ${flags.pack}: every entry matches the manifest and the decision chain is intact`)
  })
).pipe(Command.withDescription("Check an audit pack offline: manifest hashes and sizes, and decisions.csv's hash chain. Exit 1 on any mismatch."))

export const reportCommand = Command.make("report").pipe(
  Command.withDescription("Reports: shadow impact, decision export, passport report, audit pack (token scope reports:read)"),
  Command.withSubcommands([impact, decisions, passport, auditPack, verify]),
  Command.withExamples([
    { command: "RELEASEPASSPORT_TOKEN=rp_... releasepassport report impact --url https://rp.example.com --since 30d", description: "What enforce would have blocked" },
    { command: "releasepassport report audit-pack --url https://rp.example.com --since 90d --output pack.zip && releasepassport report verify pack.zip", description: "An audit pack, checked" }
  ])
)

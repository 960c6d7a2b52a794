import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import path from "node:path"
import { mergeReplayReports, REPLAY_LIMIT } from "@releasepassport/app"
import type { PolicyBundleView, PolicyChangeView } from "@releasepassport/app"
import { callApi, tokenFlag, urlFlag } from "./ApiClient.ts"
import { fail, parseDuration } from "./common.ts"
import { opaFlag, step } from "./policy/PolicyAuthoringCommands.ts"
import { buildProject } from "./policy/PolicyProject.mjs"

/**
 * The server side of the policy lifecycle, for a workspace's token with scope `policy:write`:
 * upload a bundle, make one active, list them. Through the client derived from the API.
 */
const short = (digest: string | null) => (digest === null ? "server default" : digest.slice(0, 19))

const bundleLine = (bundle: PolicyBundleView) =>
  `${bundle.active ? "*" : " "}${bundle.candidate ? "c" : " "} ${bundle.digest}  ${bundle.revision}  ${bundle.sizeBytes} bytes  ${bundle.uploadedAt} by ${bundle.uploadedBy}`

// No candidate is "none"; no active bundle is the server's default.
const pointed = (kind: PolicyChangeView["kind"], digest: string | null) => (kind === "candidate" && digest === null ? "none" : short(digest))

const changeLine = (change: PolicyChangeView) =>
  `  ${change.changedAt}  ${change.kind}: ${pointed(change.kind, change.fromDigest)} -> ${pointed(change.kind, change.toDigest)}  by ${change.changedBy}`

const push = Command.make(
  "push",
  {
    url: urlFlag,
    token: tokenFlag,
    bundle: Argument.String("bundle").pipe(
      Argument.withDescription("A compiled bundle (tar.gz), or a policy project directory to build first (needs opa)")
    ),
    opa: opaFlag
  },
  Effect.fn(function*(flags) {
    let file = flags.bundle
    let built: string | undefined
    if (statSync(flags.bundle, { throwIfNoEntry: false })?.isDirectory() === true) {
      built = mkdtempSync(path.join(tmpdir(), "releasepassport-push-"))
      file = path.join(built, "bundle.tar.gz")
      const output = file
      yield* step(() => buildProject({ cwd: path.resolve(flags.bundle), dir: ".", output, opa: flags.opa }))
    }
    const bytes = yield* Effect.tryPromise({
      try: () => readFile(file),
      catch: (error) => `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
    }).pipe(
      Effect.ensuring(Effect.sync(() => built !== undefined && rmSync(built, { recursive: true, force: true }))),
      Effect.catch(fail)
    )
    const answer = yield* callApi({ baseUrl: flags.url, token: flags.token, timeoutMs: 120_000 }, (client) =>
      client.policies.upload({ payload: new Uint8Array(bytes), query: {} })).pipe(
        Effect.catch((error) => fail(`policy push failed: ${error.message}`))
      )
    yield* Console.error(
      `${answer.created ? "uploaded" : "already uploaded"}: revision ${answer.bundle.revision}` +
        (answer.bundle.active ? " (active)" : "; activate it with: releasepassport policy activate DIGEST")
    )
    // The digest alone on stdout, so a script can pass it to `policy activate`.
    yield* Console.log(answer.bundle.digest)
  })
).pipe(Command.withDescription(
  "Upload a bundle to the token's workspace. The server validates it first (it loads, has the entrypoint, decides within the budget) and refuses it otherwise. Prints the digest."
))

const activate = Command.make(
  "activate",
  { url: urlFlag, token: tokenFlag, digest: Argument.String("digest").pipe(Argument.withDescription("sha256:… of an uploaded bundle")) },
  Effect.fn(function*(flags) {
    const answer = yield* callApi({ baseUrl: flags.url, token: flags.token }, (client) =>
      client.policies.activate({ params: { digest: flags.digest }, query: {} })).pipe(
        Effect.catch((error) => fail(`policy activate failed: ${error.message}`))
      )
    yield* Console.log(
      answer.change === null
        ? `${flags.digest} was already active`
        : `active: ${short(answer.change.fromDigest)} -> ${answer.change.toDigest}; every server switches within seconds`
    )
  })
).pipe(Command.withDescription("Make an uploaded bundle decide the workspace's gates, on every server, without a restart."))

/** What a pointer names: a digest, or (null) the server's default bundle / no candidate. */
const pointer = (kind: "active" | "candidate", digest: string | null) =>
  digest ?? (kind === "active" ? "server default bundle" : "none")

const list = Command.make(
  "list",
  { url: urlFlag, token: tokenFlag },
  Effect.fn(function*(flags) {
    const overview = yield* callApi({ baseUrl: flags.url, token: flags.token }, (client) => client.policies.overview({ query: {} })).pipe(
      Effect.catch((error) => fail(`policy list failed: ${error.message}`))
    )
    yield* Console.log([
      `active: ${pointer("active", overview.active)}`,
      `candidate: ${pointer("candidate", overview.candidate)}`,
      ...overview.loadProblems.map((problem) =>
        `not loaded on this server: ${problem.kind} ${problem.digest}: ${problem.reason} ` +
        `(${problem.kind === "active" ? "deciding instead" : "candidate instead"}: ${pointer(problem.kind, problem.inPlace)})`
      ),
      ...(overview.bundles.length > 0 ? ["bundles (* active, c candidate):", ...overview.bundles.map(bundleLine)] : ["no bundles uploaded"]),
      ...(overview.history.length > 0 ? ["changes, newest first:", ...overview.history.map(changeLine)] : [])
    ].join("\n"))
  })
).pipe(Command.withDescription("The workspace's bundles, which one is active and which is the candidate, and the latest changes."))

const candidate = Command.make(
  "candidate",
  {
    url: urlFlag,
    token: tokenFlag,
    digest: Argument.String("digest").pipe(Argument.withDescription("sha256:… of an uploaded bundle"), Argument.optional),
    clear: Flag.Boolean("clear").pipe(Flag.withDescription("Clear the candidate instead: gates stop evaluating one in shadow"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    const options = { baseUrl: flags.url, token: flags.token }
    if (flags.clear) {
      if (flags.digest._tag === "Some") return yield* fail("pass a digest or --clear, not both")
      const cleared = yield* callApi(options, (client) => client.policies.clearCandidate({ query: {} })).pipe(
        Effect.catch((error) => fail(`policy candidate --clear failed: ${error.message}`))
      )
      return yield* Console.log(
        cleared.change === null ? "there was no candidate" : `candidate: ${short(cleared.change.fromDigest)} -> none; gates no longer evaluate it`
      )
    }
    if (flags.digest._tag === "None") return yield* fail("pass the digest of an uploaded bundle, or --clear")
    const digest = flags.digest.value
    const answer = yield* callApi(options, (client) => client.policies.candidate({ params: { digest }, query: {} })).pipe(
      Effect.catch((error) => fail(`policy candidate failed: ${error.message}`))
    )
    yield* Console.log(
      answer.change === null
        ? `${digest} was already the candidate`
        : `candidate: ${short(answer.change.fromDigest)} -> ${answer.change.toDigest}; every gate now also evaluates it in shadow`
    )
  })
).pipe(Command.withDescription(
  "Make an uploaded bundle the workspace's candidate: every gate also evaluates it in shadow (never deciding); see GET /reports/candidate. --clear: no candidate any more."
))

const replay = Command.make(
  "replay",
  {
    url: urlFlag,
    token: tokenFlag,
    bundle: Flag.String("bundle").pipe(Flag.withDescription("The bundle to replay (tar.gz); it is uploaded first (validated, not activated)")),
    since: Flag.String("since").pipe(Flag.withDescription("How far back: 30d, 12h, 2w"), Flag.withDefault("30d")),
    environment: Flag.String("environment").pipe(Flag.withDescription("Only evaluations in this environment"), Flag.optional),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the report as JSON"), Flag.withDefault(false)),
    progress: Flag.Boolean("progress").pipe(
      Flag.withDescription("Print progress on stderr (replayed n of m), page by page; on by default when stderr is a terminal"),
      Flag.withDefault(false)
    ),
    pageSize: Flag.Int("page-size").pipe(Flag.withDescription("Evaluations per request while showing progress"), Flag.withDefault(500))
  },
  Effect.fn(function*(flags) {
    const window = parseDuration(flags.since)
    if (window === undefined) return yield* fail("--since must be a duration like 30d, 12h, 2w")
    const bytes = yield* Effect.tryPromise({
      try: () => readFile(flags.bundle),
      catch: (error) => `cannot read ${flags.bundle}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
    }).pipe(Effect.catch(fail))
    const options = { baseUrl: flags.url, token: flags.token, timeoutMs: 120_000 }
    yield* Console.error(`uploading ${flags.bundle} ...`)
    const uploaded = yield* callApi(options, (client) => client.policies.upload({ payload: new Uint8Array(bytes), query: {} })).pipe(
      Effect.catch((error) => fail(`policy replay failed: ${error.message}`))
    )
    const now = Date.now()
    yield* Console.error(`replaying revision ${uploaded.bundle.revision} over the last ${flags.since} (bounded by the server: 5 000 evaluations, 60 s) ...`)
    const page = (offset: number, limit: number | undefined) =>
      callApi(options, (client) =>
        client.policies.replay({
          query: {},
          payload: {
            bundleDigest: uploaded.bundle.digest,
            since: new Date(now - window).toISOString(),
            // Fixed once: the window is then the same list on every page.
            until: new Date(now).toISOString(),
            ...(flags.environment._tag === "Some" ? { environment: flags.environment.value } : {}),
            ...(offset > 0 ? { offset } : {}),
            ...(limit !== undefined ? { limit } : {})
          }
        })).pipe(Effect.catch((error) => fail(`policy replay failed: ${error.message}`)))
    const progress = flags.progress || process.stderr.isTTY === true
    if (progress && (flags.pageSize < 1 || flags.pageSize > REPLAY_LIMIT)) return yield* fail(`--page-size must be 1 to ${REPLAY_LIMIT}`)
    let report = yield* page(0, progress ? flags.pageSize : undefined)
    if (progress) {
      // The same bound as one request: the oldest 5 000 of the window, then stop.
      const total = Math.min(report.inWindow, REPLAY_LIMIT)
      yield* Console.error(`replayed ${report.replayed} of ${total}`)
      while (report.truncated && !report.stoppedEarly && report.replayed < total) {
        const next = yield* page(report.replayed, Math.min(flags.pageSize, total - report.replayed))
        if (next.replayed === 0) break
        report = mergeReplayReports(report, next)
        yield* Console.error(`replayed ${report.replayed} of ${total}`)
      }
      report = { ...report, truncated: report.inWindow > report.replayed && !report.stoppedEarly }
    }
    if (flags.json) return yield* Console.log(JSON.stringify(report, null, 2))
    yield* Console.log([
      `replayed ${report.replayed} evaluation(s) with ${report.bundle.revision}${report.truncated || report.stoppedEarly ? " (bounded: not the whole window)" : ""}; ${report.disagreements} would be decided otherwise`,
      ...report.verdictFlips.map((flip) => `  ${flip.from} -> ${flip.to}: ${flip.evaluations}`),
      ...report.newBlockers.map((code) => `  + ${code.code}: ${code.evaluations}`),
      ...report.removedBlockers.map((code) => `  - ${code.code}: ${code.evaluations}`),
      ...report.examples.slice(0, 20).map((example) =>
        `  ${example.evaluatedAt} ${example.environment} ${example.evaluationId}: ${example.verdict} -> ${example.candidateVerdict}`)
    ].join("\n"))
  })
).pipe(Command.withDescription(
  "Re-run a bundle over the workspace's past gate evaluations, on the inputs they were decided on, and show what it would have decided otherwise. Changes nothing."
))

export const policyServerCommands = [push, activate, candidate, list, replay] as const

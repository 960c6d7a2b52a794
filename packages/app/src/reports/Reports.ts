import { CommentStore, PassportStore, ReportStore, sanitizeText, WorkspaceStore } from "@releasepassport/core"
import type { DecisionCursor, DecisionQuery, DecisionRecord, GateMode, StoreUnavailable, VerdictKind } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Option, Stream } from "effect"
import { InvalidReportWindow, PassportNotFound } from "../errors.ts"
import { DECISIONS_CSV, DecisionChain, manifestEntry, textEntry } from "./AuditPack.ts"
import type { PackEntry } from "./AuditPack.ts"
import { csvHeader, csvLine, jsonlLine, makeDecisionRow, makeRedactor } from "./DecisionRows.ts"
import { ImpactTally } from "./ImpactTally.ts"
import { passportReportView } from "./PassportReportView.ts"
import { impactSummaryHtml } from "./ReportHtml.ts"
import type { ImpactReport, PassportReport } from "./ReportSchemas.ts"

/** Rows read per query: one page is all an export holds at a time. */
export const DECISION_PAGE = 1000
const DEFAULT_WINDOW_MS = 30 * 24 * 3600 * 1000
/** A window longer than this is refused (a typo such as a year 1026 would otherwise scan everything). */
const MAX_WINDOW_MS = 3 * 366 * 24 * 3600 * 1000
const REPORT_LIMITS = { evaluations: 500, evidence: 500 }

export interface ReportFilters {
  /** RFC 3339, inclusive; default: 30 days before `until`. */
  readonly since?: string | undefined
  /** RFC 3339, exclusive; default: now. */
  readonly until?: string | undefined
  readonly service?: string | undefined
  readonly namespace?: string | undefined
  readonly environment?: string | undefined
  readonly verdict?: VerdictKind | undefined
  readonly mode?: GateMode | undefined
}

export type DecisionFormat = "csv" | "jsonl"

const resolveWindow = (filters: ReportFilters, now: number) => {
  const until = filters.until === undefined ? now : Date.parse(filters.until)
  const since = filters.since === undefined ? until - DEFAULT_WINDOW_MS : Date.parse(filters.since)
  if (!Number.isFinite(since) || !Number.isFinite(until)) return Effect.fail(new InvalidReportWindow({ message: "since and until must be RFC 3339 times" }))
  if (since >= until) return Effect.fail(new InvalidReportWindow({ message: "since must be before until" }))
  if (until - since > MAX_WINDOW_MS) return Effect.fail(new InvalidReportWindow({ message: "a report covers at most three years" }))
  return Effect.succeed({ since: new Date(since).toISOString(), until: new Date(until).toISOString() })
}

/**
 * Reports over a workspace's decisions: shadow impact, the decision export, a passport's
 * report and the audit pack. Everything is built from allow-listed fields (`DecisionRow`,
 * `PassportReport`), never by copying stored objects; private evidence details never appear.
 */
export class Reports extends Context.Service<Reports, {
  readonly impact: (workspaceId: string, filters: ReportFilters) => Effect.Effect<ImpactReport, InvalidReportWindow | StoreUnavailable>
  /** The export as text chunks, read from the store a page at a time while it is sent. */
  readonly decisions: (workspaceId: string, filters: ReportFilters, format: DecisionFormat) => Effect.Effect<
    Stream.Stream<string, StoreUnavailable>,
    InvalidReportWindow
  >
  readonly passportReport: (workspaceId: string, id: string) => Effect.Effect<PassportReport, PassportNotFound | StoreUnavailable>
  /** The files of an audit pack (the transport zips them); manifest.json last. */
  readonly auditPack: (workspaceId: string, filters: Pick<ReportFilters, "since" | "until">, generatedBy: string) => Effect.Effect<
    ReadonlyArray<PackEntry>,
    InvalidReportWindow | StoreUnavailable
  >
}>()("@releasepassport/app/Reports") {
  static readonly layer = Layer.effect(
    Reports,
    Effect.gen(function*() {
      const store = yield* ReportStore
      const passports = yield* PassportStore
      const comments = yield* CommentStore
      const workspaces = yield* WorkspaceStore

      const queryOf = (workspaceId: string, filters: ReportFilters, window: { since: string; until: string }): DecisionQuery => ({
        workspaceId,
        since: window.since,
        until: window.until,
        ...(filters.service !== undefined ? { service: filters.service } : {}),
        ...(filters.namespace !== undefined ? { namespace: filters.namespace } : {}),
        ...(filters.environment !== undefined ? { environment: filters.environment } : {}),
        ...(filters.verdict !== undefined ? { verdict: filters.verdict } : {}),
        ...(filters.mode !== undefined ? { mode: filters.mode } : {})
      })

      /** The window's decisions, oldest first, a page per query. */
      const walk = (query: DecisionQuery): Stream.Stream<DecisionRecord, StoreUnavailable> =>
        Stream.paginate(undefined as DecisionCursor | undefined, (after) =>
          store.decisions({ ...query, limit: DECISION_PAGE, ...(after !== undefined ? { after } : {}) }).pipe(
            Effect.map((page) => {
              const last = page.at(-1)
              const next = page.length === DECISION_PAGE && last !== undefined
                ? Option.some<DecisionCursor | undefined>({ evaluatedAt: last.evaluatedAt, id: last.evaluationId })
                : Option.none()
              return [page, next] as const
            })
          ))

      const tally = (query: DecisionQuery) =>
        Stream.runFold(walk(query), () => new ImpactTally(), (t, record) => {
          t.add(record)
          return t
        })

      const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

      const passportReport = Effect.fn("Reports.passportReport")(function*(workspaceId: string, id: string) {
        const workspace = yield* workspaces.findById(workspaceId)
        const detail = yield* passports.findDetail({ workspaceId, id, limits: REPORT_LIMITS })
        if (workspace === undefined || detail === undefined) return yield* new PassportNotFound()
        const thread = yield* comments.list({ workspaceId, passportId: id })
        return passportReportView({ workspace, detail, comments: thread, now: yield* now, redact: makeRedactor() })
      })

      return Reports.of({
        impact: Effect.fn("Reports.impact")(function*(workspaceId, filters) {
          const at = yield* now
          const window = yield* resolveWindow(filters, at.getTime())
          const query = queryOf(workspaceId, { environment: filters.environment, service: filters.service, namespace: filters.namespace }, window)
          const result = yield* tally(query)
          return result.view(makeRedactor(), {
            window,
            filters: { environment: filters.environment ?? null, service: filters.service ?? null, namespace: filters.namespace ?? null },
            generatedAt: at.toISOString()
          })
        }),
        decisions: Effect.fn("Reports.decisions")(function*(workspaceId, filters, format) {
          const window = yield* resolveWindow(filters, (yield* now).getTime())
          const rows = walk(queryOf(workspaceId, filters, window)).pipe(
            Stream.map(makeDecisionRow()),
            Stream.map(format === "csv" ? csvLine : jsonlLine)
          )
          return format === "csv" ? Stream.concat(Stream.make(csvHeader()), rows) : rows
        }),
        passportReport,
        auditPack: Effect.fn("Reports.auditPack")(function*(workspaceId, filters, generatedBy) {
          const at = yield* now
          const window = yield* resolveWindow(filters, at.getTime())
          const query = queryOf(workspaceId, {}, window)
          generatedBy = sanitizeText(generatedBy).text
          const chain = new DecisionChain()
          const decisionRow = makeDecisionRow()
          const impact = new ImpactTally()
          const releases = new Set<string>()
          let workspaceSlug: string | undefined
          yield* Stream.runForEach(walk(query), (record) =>
            Effect.sync(() => {
              chain.add(decisionRow(record))
              impact.add(record)
              releases.add(record.passportId)
              workspaceSlug ??= record.workspaceSlug
            }))
          const workspace = workspaceSlug ?? (yield* workspaces.findById(workspaceId))?.slug ?? ""
          const decisions = chain.finish()
          const entries: Array<PackEntry> = [textEntry(DECISIONS_CSV, decisions.text)]
          for (const id of [...releases].sort()) {
            const report = yield* passportReport(workspaceId, id).pipe(
              // Passports are never deleted; one that vanished mid-pack is left out, not invented.
              Effect.catchTag("PassportNotFound", () => Effect.succeed(undefined))
            )
            if (report !== undefined) entries.push(textEntry(`passports/${id}.json`, JSON.stringify(report, null, 2) + "\n"))
          }
          const summary = impact.view(makeRedactor(), { window, filters: { environment: null, service: null, namespace: null }, generatedAt: at.toISOString() })
          entries.push(textEntry("summary.html", impactSummaryHtml(`Audit pack: ${workspace}`, summary, [
            ["Generated", at.toISOString()],
            ["Generated by", generatedBy],
            ["Decisions", String(decisions.rows)],
            ["Releases", String(releases.size)]
          ])))
          entries.push(manifestEntry({
            format: "releasepassport-audit-pack/1",
            workspace,
            window,
            generatedAt: at.toISOString(),
            generatedBy,
            decisions: { rows: decisions.rows, chainHead: decisions.chainHead }
          }, entries))
          return entries
        })
      })
    })
  )
}

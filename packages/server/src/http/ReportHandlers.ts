import { passportReportHtml, Reports } from "@releasepassport/app"
import { Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { RequestWorkspace } from "../api/SessionOrTokenSecurity.ts"
import { zipEntries } from "./AuditPackZip.ts"
import { answerProblems } from "./DomainProblems.ts"

/** Reports are documents to keep, not pages to cache or sniff. */
const download = (fileName: string) => ({
  "content-disposition": `attachment; filename="${fileName}"`,
  "cache-control": "no-store",
  "x-content-type-options": "nosniff"
})

const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, "").slice(0, 15)

export const ReportHandlers = HttpApiBuilder.group(
  Api,
  "reports",
  Effect.fn(function*(handlers) {
    const reports = yield* Reports
    return handlers
      .handle("impact", ({ query }) =>
        Effect.flatMap(RequestWorkspace, ({ workspaceId }) => reports.impact(workspaceId, query)).pipe(answerProblems))
      .handle("decisions", ({ query }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          const format = query.format ?? "csv"
          const chunks = yield* reports.decisions(workspaceId, query, format)
          // Sent as the store yields its pages: the export is never held whole.
          return HttpServerResponse.stream(Stream.encodeText(chunks), {
            contentType: format === "csv" ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson; charset=utf-8",
            headers: download(`decisions-${stamp(new Date())}.${format}`)
          })
        }).pipe(answerProblems))
      .handle("passportReport", ({ params, query }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          const report = yield* reports.passportReport(workspaceId, params.id)
          if (query.format === "json") {
            return HttpServerResponse.text(JSON.stringify(report, null, 2) + "\n", {
              contentType: "application/json; charset=utf-8",
              headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" }
            })
          }
          return HttpServerResponse.text(passportReportHtml(report), {
            contentType: "text/html; charset=utf-8",
            headers: {
              "cache-control": "no-store",
              "x-content-type-options": "nosniff",
              // A document, not an app: no script may run in it, whatever a value held.
              "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; frame-ancestors 'none'"
            }
          })
        }).pipe(answerProblems))
      .handle("auditPack", ({ query }) =>
        Effect.gen(function*() {
          const { workspaceId, actor } = yield* RequestWorkspace
          const entries = yield* reports.auditPack(workspaceId, query, actor)
          const now = new Date()
          return HttpServerResponse.stream(zipEntries(entries, now), {
            contentType: "application/zip",
            headers: download(`audit-pack-${stamp(now)}.zip`)
          })
        }).pipe(answerProblems))
  })
)

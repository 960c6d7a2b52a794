import type { ImpactReport, PassportReport } from "./ReportSchemas.ts"

/** Every value that reaches HTML goes through this: text, never markup. */
export const escapeHtml = (value: string | number | boolean | null): string =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** Printable on paper and through a browser's "save as PDF": no script, no external resource. */
const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
.fail,.error{color:#a00}.pass{color:#060}.warn{color:#850}.muted{color:#666}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}tr,li{break-inside:avoid}th{background:none}a{color:inherit;text-decoration:none}}
@page{margin:1.5cm}`

const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
  `<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>${body}</body></html>\n`

const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>) =>
  rows.length === 0
    ? `<p class="muted">None.</p>`
    : `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>` +
      rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("") +
      `</tbody></table>`

export const passportReportHtml = (report: PassportReport): string => {
  const p = report.passport
  return page(`Release ${p.service.namespace}/${p.service.name} ${p.releaseId}`, [
    `<h1>Release passport: ${escapeHtml(`${p.service.namespace}/${p.service.name}`)} <code>${escapeHtml(p.releaseId)}</code></h1>`,
    `<p class="muted">Workspace ${escapeHtml(report.workspace)} · generated ${escapeHtml(report.generatedAt)}</p>`,
    `<h2>Identity</h2>`,
    table(["Passport", "Artifact digest", "Source sha", "Created", "Updated"], [[p.id, p.artifactDigest, p.sourceSha, p.createdAt, p.updatedAt]]),
    `<h2>Verdicts by environment</h2>`,
    ...report.environments.map((env) =>
      `<h3>${escapeHtml(env.environment)}: <span class="${escapeHtml(env.verdict)}">${escapeHtml(env.verdict)}</span> (${escapeHtml(env.mode)})</h3>` +
      table(["Evaluated", "Mode", "Verdict", "Allowed", "Would block", "Blockers", "Policy"], env.history.map((h) => [
        h.evaluatedAt, h.mode, h.verdict, h.allowed, h.wouldBlock, h.blockerCodes.join(" "), h.policyRevision
      ]))
    ),
    `<h2>Blockers</h2>`,
    table(["Environment", "Code", "Message", "Remediation"], report.blockers.map((b) => [b.environment, b.code, b.message, b.remediation])),
    `<h2>Evidence</h2>`,
    table(["Type", "Status", "Source", "Version", "Observed", "Age (s)", "Private", "Details sha256"], report.evidence.map((e) => [
      e.type, e.status, e.source, e.version, e.observedAt, e.ageSeconds, e.private, e.detailsSha256 ?? "—"
    ])),
    `<h2>Policies</h2>`,
    table(["Revision", "Bundle digest", "Evaluations"], report.policies.map((x) => [x.revision, x.bundleDigest, x.evaluations])),
    `<h2>Comments</h2>`,
    table(["Author", "When", "Comment"], report.comments.map((c) => [c.author, c.createdAt, c.body])),
    report.truncated ? `<p class="muted">Only the most recent evaluations and evidence are listed.</p>` : ""
  ].join("\n"))
}

export const impactSummaryHtml = (title: string, impact: ImpactReport, extra: ReadonlyArray<readonly [string, string]>): string =>
  page(title, [
    `<h1>${escapeHtml(title)}</h1>`,
    table(["", ""], [["Window", `${impact.window.since} – ${impact.window.until}`], ...extra]),
    `<h2>Shadow mode</h2>`,
    table(["", "Evaluations", "Releases"], [
      ["All", impact.shadow.evaluations, impact.shadow.releases],
      ["Enforce would have blocked", impact.shadow.wouldBlock.evaluations, impact.shadow.wouldBlock.releases],
      ["Allowed, and enforce would have allowed", impact.shadow.wouldAllow.evaluations, impact.shadow.wouldAllow.releases],
      ["Policy errors", impact.shadow.errors.evaluations, impact.shadow.errors.releases]
    ]),
    table(["Rule", "Evaluations", "Releases", "First", "Last"], impact.shadow.wouldBlock.byRule.map((r) => [r.code, r.evaluations, r.releases, r.firstAt, r.lastAt])),
    `<h2>Enforce mode</h2>`,
    table(["", "Evaluations", "Releases"], [
      ["All", impact.enforce.evaluations, impact.enforce.releases],
      ["Blocked", impact.enforce.blocked.evaluations, impact.enforce.blocked.releases],
      ["Allowed", impact.enforce.allowed.evaluations, impact.enforce.allowed.releases],
      ["Policy errors", impact.enforce.errors.evaluations, impact.enforce.errors.releases]
    ]),
    table(["Rule", "Evaluations", "Releases", "First", "Last"], impact.enforce.blocked.byRule.map((r) => [r.code, r.evaluations, r.releases, r.firstAt, r.lastAt]))
  ].join("\n"))

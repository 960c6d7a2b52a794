import type { ImpactReport } from "@releasepassport/app"
import { roleAtLeast } from "@releasepassport/core"
import type { Visit } from "../ConsoleAuth.ts"
import { href, Section, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

/** The report filters, as the URL carries them (also the download links' query). */
export interface ReportFilterValues {
  readonly since: string
  readonly until: string
  readonly environment: string
  readonly service: string
  readonly namespace: string
}

export const reportFilterFields = ["since", "until", "environment", "service", "namespace"] as const

/** A link into the JSON API's reports for this workspace (a session may read them). */
const apiHref = (visit: Visit, path: string, params: Record<string, string>) => {
  const query = new URLSearchParams({ workspace: visit.membership.workspace.slug })
  for (const [key, value] of Object.entries(params)) if (value !== "") query.set(key, value)
  return `/releasepassport/v1${path}?${query.toString()}`
}

/** The date part of an RFC 3339 time, for a date input. */
const day = (iso: string) => iso.slice(0, 10)

/**
 * Shadow impact: what enforce would have blocked, by rule (table and bar chart of the same
 * numbers), by service and by environment; errors apart; enforce blocks beside it; downloads.
 */
export const ReportsPage = ({ visit, assets, report, filters }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly report: ImpactReport
  readonly filters: ReportFilterValues
}) => {
  const window = { since: report.window.since, until: report.window.until }
  const scope = { ...window, environment: filters.environment, service: filters.service, namespace: filters.namespace }
  const { shadow, enforce } = report
  return (
    <Layout visit={visit} assets={assets} title="Reports" active="reports" chart>
      <form method="get" action="/console/reports" class="filters" aria-label="Report window and filters">
        {visit.memberships.length > 1 ? <input type="hidden" name="workspace" value={visit.membership.workspace.slug} /> : null}
        <label>Since <input type="date" name="since" value={filters.since === "" ? day(report.window.since) : filters.since} /></label>
        <label>Until <input type="date" name="until" value={filters.until === "" ? day(report.window.until) : filters.until} /></label>
        <label>Environment <input name="environment" value={filters.environment} /></label>
        <label>Service <input name="service" value={filters.service} /></label>
        <label>Namespace <input name="namespace" value={filters.namespace} /></label>
        <button type="submit">Apply</button>
      </form>
      <p>
        From <When iso={report.window.since} now={visit.now} /> to <When iso={report.window.until} now={visit.now} />:{" "}
        <span data-testid="shadow-summary">
          {shadow.evaluations} shadow evaluation(s) of {shadow.releases} release(s); enforce would have blocked{" "}
          {shadow.wouldBlock.evaluations} ({shadow.wouldBlock.releases} release(s)); {shadow.errors.evaluations} could not be
          decided (verdict error).
        </span>
      </p>
      <Section title="Would block, by rule">
        {shadow.wouldBlock.byRule.length === 0
          ? <p data-testid="no-impact">Enforce would have blocked nothing in this window.</p>
          : (
            <>
              <div class="chart" id="impact-chart" aria-hidden="true"></div>
              <table data-chart="impact-chart" data-chart-kind="bars" data-testid="impact-by-rule">
                <thead>
                  <tr><th scope="col">Rule</th><th scope="col">evaluations</th><th scope="col">releases</th><th scope="col">First</th><th scope="col">Last</th><th scope="col">Examples</th></tr>
                </thead>
                <tbody>
                  {shadow.wouldBlock.byRule.map((rule) => (
                    <tr data-rule={rule.code}>
                      <th scope="row"><code>{rule.code}</code></th>
                      <td>{rule.evaluations}</td>
                      <td>{rule.releases}</td>
                      <td><When iso={rule.firstAt} now={visit.now} /></td>
                      <td><When iso={rule.lastAt} now={visit.now} /></td>
                      <td>{rule.examples.map((id) => <a href={href(visit, `/console/passports/${id}`)}>{id}</a>)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
      </Section>
      <Section title="Would block, by service">
        <table>
          <thead><tr><th scope="col">Namespace</th><th scope="col">Service</th><th scope="col">Evaluations</th><th scope="col">Releases</th></tr></thead>
          <tbody>
            {shadow.wouldBlock.byService.map((row) => (
              <tr><td>{row.namespace}</td><td>{row.service}</td><td>{row.evaluations}</td><td>{row.releases}</td></tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Would block, by environment">
        <table>
          <thead><tr><th scope="col">Environment</th><th scope="col">Evaluations</th><th scope="col">Releases</th></tr></thead>
          <tbody>
            {shadow.wouldBlock.byEnvironment.map((row) => <tr><td>{row.environment}</td><td>{row.evaluations}</td><td>{row.releases}</td></tr>)}
          </tbody>
        </table>
      </Section>
      <Section title="Enforce mode, same window">
        <p data-testid="enforce-summary">
          {enforce.evaluations} enforce evaluation(s): {enforce.blocked.evaluations} blocked ({enforce.blocked.releases} release(s)),{" "}
          {enforce.allowed.evaluations} allowed, {enforce.errors.evaluations} verdict error.
        </p>
      </Section>
      <Section title="Downloads">
        <ul>
          <li><a href={apiHref(visit, "/reports/decisions", { format: "csv", ...scope })} data-testid="download-csv">Decisions (CSV)</a></li>
          <li><a href={apiHref(visit, "/reports/decisions", { format: "jsonl", ...scope })}>Decisions (JSONL)</a></li>
          {roleAtLeast(visit.membership.role, "admin")
            ? <li><a href={apiHref(visit, "/reports/audit-pack", window)} data-testid="download-audit-pack">Audit pack (zip)</a></li>
            : null}
        </ul>
      </Section>
    </Layout>
  )
}

/** The passport report (printable HTML) of one passport, for its page. */
export const passportReportHref = (visit: Visit, passportId: string) =>
  apiHref(visit, `/passports/${passportId}/report`, { format: "html" })

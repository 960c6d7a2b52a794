import type { AttentionItem, WorkspaceOverview } from "@releasepassport/app"
import type { Visit } from "../ConsoleAuth.ts"
import { href, Section, Verdict, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

const VERDICTS = ["pass", "warn", "fail", "error"] as const

const REASONS = {
  blocked: "blocked under enforce",
  error: "the policy could not decide",
  would_block: "shadow: enforce would block"
} as const

const licenseProblem = (item: Extract<AttentionItem, { _tag: "License" }>) =>
  item.status === "expiring"
    ? `The license expires in ${item.daysLeft} day(s).`
    : item.status === "expired"
    ? "The license has expired; community entitlements apply."
    : "The installed license is not valid."

const Attention = ({ visit, item }: { readonly visit: Visit; readonly item: AttentionItem }) => {
  switch (item._tag) {
    case "Verdict":
      return (
        <li data-testid="attention-item">
          <Verdict verdict={item.verdict} /> <a href={href(visit, `/console/passports/${encodeURIComponent(item.passportId)}`)}>{item.service.namespace}/{item.service.name}</a>{" "}
          <code>{item.releaseId}</code> in {item.environment}: {REASONS[item.reason]}, <When iso={item.evaluatedAt} now={visit.now} />
        </li>
      )
    case "Connector":
      return (
        <li data-testid="attention-connector">
          Connector <a href={href(visit, "/console/integrations")}>{item.displayName ?? item.source}</a> is {item.freshness}
          {item.lastSeenAt !== null ? <>, last seen <When iso={item.lastSeenAt} now={visit.now} /></> : null}
        </li>
      )
    case "License":
      return <li data-testid="attention-license"><a href={href(visit, "/console/license")}>License</a>: {licenseProblem(item)}</li>
  }
}

export const OverviewPage = ({ visit, assets, overview }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly overview: WorkspaceOverview
}) => {
  const link = (id: string) => href(visit, `/console/passports/${encodeURIComponent(id)}`)
  return (
    <Layout visit={visit} assets={assets} title="Overview" active="overview" chart>
      {/* Everything below refreshes in place every minute (htmx); console.js draws the chart again after each swap. */}
      <div id="overview-live" hx-get={href(visit, "/console")} hx-trigger="every 60s" hx-select="#overview-live" hx-swap="outerHTML">
      <Section title="Latest verdicts per environment" id="verdicts">
        {overview.environments.length === 0
          ? <p>No gate has evaluated a release in this workspace yet.</p>
          : (
            <table data-testid="verdict-counts">
              <thead>
                <tr><th scope="col">Environment</th>{VERDICTS.map((v) => <th scope="col"><Verdict verdict={v} /></th>)}</tr>
              </thead>
              <tbody>
                {overview.environments.map((env) => (
                  <tr data-environment={env.environment}>
                    <th scope="row">{env.environment}</th>
                    {VERDICTS.map((v) => (
                      <td data-verdict={v}>
                        <a href={href(visit, "/console/passports", { environment: env.environment, verdict: v })}>{env[v]}</a>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </Section>

      <Section title="Needs attention" id="attention">
        {overview.attention.length === 0
          ? <p>Nothing needs attention.</p>
          : <ul class="attention">{overview.attention.map((item) => <Attention visit={visit} item={item} />)}</ul>}
      </Section>

      <Section title="Recent evaluations" id="recent">
        {overview.recent.length === 0
          ? <p>None yet.</p>
          : (
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Service</th><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Mode</th><th scope="col">Verdict</th></tr></thead>
              <tbody>
                {overview.recent.map((item) => (
                  <tr>
                    <td><When iso={item.evaluatedAt} now={visit.now} /></td>
                    <td><a href={link(item.passportId)}>{item.service.namespace}/{item.service.name}</a></td>
                    <td><code>{item.releaseId}</code></td>
                    <td>{item.environment}</td>
                    <td>{item.mode}</td>
                    <td><Verdict verdict={item.verdict} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </Section>

      <Section title="Verdicts per day (last 30 days)" id="per-day">
        <div class="chart" id="verdicts-chart" aria-hidden="true"></div>
        <details open={false} class="chart-table">
          <summary>The same data as a table</summary>
          <table data-chart="verdicts-chart" data-testid="per-day">
            <thead><tr><th scope="col">Day (UTC)</th>{VERDICTS.map((v) => <th scope="col">{v}</th>)}</tr></thead>
            <tbody>
              {overview.days.map((day) => (
                <tr>
                  <th scope="row">{day.day}</th>
                  {VERDICTS.map((v) => <td>{day[v]}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </Section>
      </div>
    </Layout>
  )
}

import type { IntegrationList } from "@releasepassport/app"
import { roleAtLeast } from "@releasepassport/core"
import type { Visit } from "../ConsoleAuth.ts"
import { Hidden, href, Section, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

const FRESHNESS_ICONS = { fresh: "✓", stale: "!", silent: "✕", never_seen: "?" } as const

export const IntegrationsPage = ({ visit, assets, list, problem }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly list: IntegrationList
  readonly problem: string | undefined
}) => (
  <Layout visit={visit} assets={assets} title="Integrations" active="integrations">
    {problem !== undefined ? <p class="problem" role="alert">{problem}</p> : null}
    <Section title="Connectors">
      {list.connectors.length === 0
        ? <p>No connector has reported or been declared yet.</p>
        : (
          <table>
            <thead>
              <tr>
                <th scope="col">Source</th><th scope="col">Freshness</th><th scope="col">Last seen</th><th scope="col">Last batch</th>
                <th scope="col">Items (24 h)</th><th scope="col">Refused (24 h)</th><th scope="col">Interval</th><th scope="col">Environments</th>
              </tr>
            </thead>
            <tbody>
              {list.connectors.map((connector) => (
                <tr data-testid="connector-row">
                  <td>{connector.displayName ?? connector.source}<div class="muted">{connector.source}{connector.declared ? ", declared" : ""}</div></td>
                  <td><span class={`freshness freshness-${connector.freshness}`}><span aria-hidden="true">{FRESHNESS_ICONS[connector.freshness]}</span> {connector.freshness.replace("_", " ")}</span></td>
                  <td><When iso={connector.lastSeenAt} now={visit.now} /></td>
                  <td>{connector.lastBatch === null ? "none" : <>{connector.lastBatch.outcome} <When iso={connector.lastBatch.at} now={visit.now} /><div class="muted">{connector.lastBatch.detail}</div></>}</td>
                  <td>{connector.itemsLast24h}</td>
                  <td>{connector.rejectedLast24h}</td>
                  <td>{Math.round(connector.expectedIntervalSeconds / 60)} min</td>
                  <td>{connector.environments.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <p class="muted">Checked <When iso={list.checkedAt} now={visit.now} />.</p>
    </Section>
    {roleAtLeast(visit.membership.role, "admin")
      ? (
        <Section title="Declare a connector">
          <form method="post" action={href(visit, "/console/integrations")} class="stack">
            <Hidden visit={visit} />
            <label for="connector-source">Source (as its evidence names it)</label>
            <input id="connector-source" name="source" required maxlength={100} />
            <label for="connector-name">Display name</label>
            <input id="connector-name" name="displayName" maxlength={200} />
            <label for="connector-interval">Expected interval (minutes)</label>
            <input id="connector-interval" name="intervalMinutes" type="number" min={1} max={43200} />
            <label for="connector-envs">Environments that depend on it (comma separated)</label>
            <input id="connector-envs" name="environments" />
            <button type="submit">Declare connector</button>
          </form>
        </Section>
      )
      : null}
  </Layout>
)

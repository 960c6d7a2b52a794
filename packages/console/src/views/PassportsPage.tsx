import type { PassportFilters, PassportPage } from "@releasepassport/app"
import { GateMode, VerdictKind } from "@releasepassport/core"
import type { Visit } from "../ConsoleAuth.ts"
import { html } from "ghtml"
import { href, shortHtml, verdictHtml, whenHtml } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

const FILTER_FIELDS = ["service", "namespace", "environment", "verdict", "mode", "since"] as const

export type FilterValues = Partial<Record<(typeof FILTER_FIELDS)[number], string>>

/**
 * The rows, as one markup string: the page's cost is these 50 rows (see Format.tsx). Every
 * value is escaped by `html`; the raw `!${}` slots take only `html` results.
 */
const passportRows = (visit: Visit, items: PassportPage["items"]): string =>
  html`!${
    items.map((item) =>
      html`<tr data-testid="passport-row">
<td><a href="${href(visit, `/console/passports/${encodeURIComponent(item.id)}`)}">${item.service.name}</a><div class="muted">${item.service.namespace}</div></td>
<td><code>${item.release.releaseId}</code></td>
<td>!${shortHtml(item.artifactDigest)}</td>
<td><ul class="envs">!${
        item.environments.map((env) =>
          html`<li><span class="env">${env.environment}</span> !${verdictHtml(env.verdict)} <span class="muted">${env.mode}</span></li>`
        )
      }</ul></td>
<td>${item.blockerCount}</td>
<td>!${whenHtml(item.updatedAt, visit.now)}</td>
</tr>
`
    )
  }`

/** The list itself: also what htmx swaps in when the filters or the page change. */
const PassportTable = ({ visit, page, filters, cursor }: {
  readonly visit: Visit
  readonly page: PassportPage
  readonly filters: FilterValues
  readonly cursor: string | undefined
}) => (
  <div id="passport-list">
    {page.items.length === 0
      ? <p data-testid="no-passports">No passport matches these filters.</p>
      : (
        <table class="list">
          <caption>Passports, most recently updated first</caption>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Release</th>
              <th scope="col">Artifact</th>
              <th scope="col">Verdicts per environment</th>
              <th scope="col">Blockers</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody dangerouslySetInnerHTML={{ __html: passportRows(visit, page.items) }} />
        </table>
      )}
    <nav aria-label="Pages" class="pager">
      {cursor !== undefined ? <a href={href(visit, "/console/passports", filters)}>First page</a> : null}
      {page.nextCursor !== null
        ? (
          <a
            href={href(visit, "/console/passports", { ...filters, cursor: page.nextCursor })}
            hx-get={href(visit, "/console/passports", { ...filters, cursor: page.nextCursor })}
            hx-target="#passport-list"
            hx-select="#passport-list"
            hx-swap="outerHTML"
            hx-push-url="true"
            data-testid="next-page"
          >
            Next page
          </a>
        )
        : null}
    </nav>
  </div>
)

export const PassportsPage = ({ visit, assets, page, filters, cursor }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly page: PassportPage
  readonly filters: FilterValues
  readonly cursor: string | undefined
}) => (
  <Layout visit={visit} assets={assets} title="Passports" active="passports">
    <form
      method="get"
      action="/console/passports"
      class="filters"
      hx-get="/console/passports"
      hx-target="#passport-list"
      hx-select="#passport-list"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      {visit.memberships.length > 1 ? <input type="hidden" name="workspace" value={visit.membership.workspace.slug} /> : null}
      <label>Service <input name="service" value={filters.service ?? ""} /></label>
      <label>Namespace <input name="namespace" value={filters.namespace ?? ""} /></label>
      <label>Environment <input name="environment" value={filters.environment ?? ""} /></label>
      <label>
        Verdict{" "}
        <select name="verdict">
          <option value="">any</option>
          {VerdictKind.literals.map((v) => <option value={v} selected={filters.verdict === v}>{v}</option>)}
        </select>
      </label>
      <label>
        Mode{" "}
        <select name="mode">
          <option value="">any</option>
          {GateMode.literals.map((m) => <option value={m} selected={filters.mode === m}>{m}</option>)}
        </select>
      </label>
      <label>Updated since <input name="since" type="date" value={filters.since ?? ""} /></label>
      <button type="submit">Filter</button>
    </form>
    <PassportTable visit={visit} page={page} filters={filters} cursor={cursor} />
  </Layout>
)

export const filterFields = FILTER_FIELDS
export type { PassportFilters }

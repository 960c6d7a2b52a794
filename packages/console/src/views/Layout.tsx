import { roleAtLeast } from "@releasepassport/core"
import type { ComponentChildren } from "preact"
import type { Asset, AssetName } from "../Assets.ts"
import type { Visit } from "../ConsoleAuth.ts"
import { Hidden, href } from "./Format.tsx"

export type Assets = Record<AssetName, Asset>

export type NavItem = "overview" | "passports" | "reports" | "integrations" | "tokens" | "policies" | "license"

/** htmx configured for a strict CSP: its indicator styles are in our stylesheet instead. */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false })

export const Document = ({ title, assets, chart = false, children }: {
  readonly title: string
  readonly assets: Assets
  readonly chart?: boolean
  readonly children: ComponentChildren
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <title>{`${title} · Release Passport`}</title>
      {/* No favicon request (it would be a 404 on every page). */}
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={assets.css.path} />
      {chart ? <link rel="stylesheet" href={assets.uplotCss.path} /> : null}
      <script src={assets.htmx.path} defer></script>
      {chart ? <script src={assets.uplot.path} defer></script> : null}
      <script src={assets.script.path} defer></script>
    </head>
    {children}
  </html>
)

const NAV: ReadonlyArray<{ readonly item: NavItem; readonly label: string; readonly path: string; readonly admin?: boolean }> = [
  { item: "overview", label: "Overview", path: "/console" },
  { item: "passports", label: "Passports", path: "/console/passports" },
  { item: "reports", label: "Reports", path: "/console/reports" },
  { item: "integrations", label: "Integrations", path: "/console/integrations" },
  { item: "tokens", label: "Tokens", path: "/console/tokens", admin: true },
  { item: "policies", label: "Policies", path: "/console/policies", admin: true },
  { item: "license", label: "License", path: "/console/license" }
]

/** Every signed-in page: who is signed in, their role here, the workspace switcher, the navigation. */
export const Layout = ({ visit, assets, title, active, chart, children }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly title: string
  readonly active: NavItem | undefined
  readonly chart?: boolean
  readonly children: ComponentChildren
}) => {
  const { membership, memberships, signedIn } = visit
  const isAdmin = roleAtLeast(membership.role, "admin")
  return (
    <Document title={title} assets={assets} chart={chart ?? false}>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href={href(visit, "/console")}>Release Passport</a>
          <nav aria-label="Console">
            <ul>
              {NAV.filter((entry) => entry.admin !== true || isAdmin).map((entry) => (
                <li>
                  <a href={href(visit, entry.path)} aria-current={entry.item === active ? "page" : undefined}>{entry.label}</a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            {memberships.length > 1
              ? (
                <form method="get" action={visit.url.pathname === "/console" || visit.url.pathname.startsWith("/console/passports/") ? "/console" : visit.url.pathname} class="switcher">
                  <label for="workspace-switch">Workspace</label>
                  <select id="workspace-switch" name="workspace">
                    {memberships.map((m) => (
                      <option value={m.workspace.slug} selected={m.workspace.id === membership.workspace.id}>{m.workspace.name}</option>
                    ))}
                  </select>
                  <button type="submit">Switch</button>
                </form>
              )
              : <span class="workspace">{membership.workspace.name}</span>}
            <span class="user" data-testid="signed-in-as">
              {signedIn.user.displayName} <span class="role">({membership.role})</span>
            </span>
            <form method="post" action="/console/logout">
              <Hidden visit={visit} />
              <button type="submit">Sign out</button>
            </form>
          </div>
        </header>
        <main id="main">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </Document>
  )
}

/** An error page: the same for a missing passport and another workspace's. */
export const ErrorPage = ({ assets, status, title, message, visit }: {
  readonly assets: Assets
  readonly status: number
  readonly title: string
  readonly message: string
  readonly visit: Visit | undefined
}) => {
  const body = (
    <div class="error-page">
      <p data-testid="error-status">Error {status}</p>
      <p>{message}</p>
      <p><a href={visit === undefined ? "/console" : href(visit, "/console")}>Back to the overview</a></p>
    </div>
  )
  return visit === undefined
    ? (
      <Document title={title} assets={assets}>
        <body>
          <main id="main">
            <h1>{title}</h1>
            {body}
          </main>
        </body>
      </Document>
    )
    : <Layout visit={visit} assets={assets} title={title} active={undefined}>{body}</Layout>
}

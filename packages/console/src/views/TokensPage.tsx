import { TokenScope } from "@releasepassport/app"
import type { TokenView } from "@releasepassport/app"
import type { Visit } from "../ConsoleAuth.ts"
import { Hidden, href, Section, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

/** Admins only (the route refuses others). A new token's value appears on the first GET after its POST, never again. */
export const TokensPage = ({ visit, assets, tokens, created, problem }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly tokens: ReadonlyArray<TokenView>
  readonly created: { readonly name: string; readonly value: string } | undefined
  readonly problem: string | undefined
}) => (
  <Layout visit={visit} assets={assets} title="API tokens" active="tokens">
    {created !== undefined
      ? (
        <div class="created" role="status">
          <p>Token <strong>{created.name}</strong> created. Copy its value now: it is shown only this once.</p>
          <p class="short">
            <code data-testid="new-token-value">{created.value}</code>{" "}
            <button type="button" class="copy" data-copy={created.value}>Copy token</button>
          </p>
        </div>
      )
      : null}
    {problem !== undefined ? <p class="problem" role="alert">{problem}</p> : null}
    <Section title="Tokens">
      {tokens.length === 0
        ? <p>No tokens yet.</p>
        : (
          <table>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Action</th></tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr data-testid="token-row">
                  <td>{token.name}</td>
                  <td>{token.scopes.join(", ")}</td>
                  <td data-testid="token-state">{token.state}</td>
                  <td><When iso={token.createdAt} now={visit.now} /></td>
                  <td><When iso={token.expiresAt} now={visit.now} /></td>
                  <td><When iso={token.lastUsedAt} now={visit.now} /></td>
                  <td>
                    {token.state === "active"
                      ? (
                        <form method="post" action={href(visit, `/console/tokens/${encodeURIComponent(token.id)}/revoke`)}>
                          <Hidden visit={visit} />
                          <button type="submit" aria-label={`Revoke ${token.name}`}>Revoke</button>
                        </form>
                      )
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Section>
    <Section title="Create a token">
      <form method="post" action={href(visit, "/console/tokens")} class="stack">
        <Hidden visit={visit} />
        <label for="token-name">Name</label>
        <input id="token-name" name="name" required maxlength={100} />
        <fieldset>
          <legend>Scopes</legend>
          {TokenScope.literals.map((scope) => (
            <label class="inline"><input type="checkbox" name="scopes" value={scope} /> {scope}</label>
          ))}
        </fieldset>
        <label for="token-days">Expires in (days, 1 to 366)</label>
        <input id="token-days" name="expiresInDays" type="number" min={1} max={366} value="90" />
        <button type="submit">Create token</button>
      </form>
    </Section>
  </Layout>
)

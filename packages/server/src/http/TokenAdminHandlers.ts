import { TokenStore } from "@releasepassport/core"
import type { ApiToken } from "@releasepassport/core"
import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { NotFound, ProblemCodes } from "../api/Problems.ts"
import { CurrentMembership } from "../api/SessionSecurity.ts"
import type { TokenView } from "../api/TokenAdminApi.ts"
import { apiTokenDigest, generateApiToken } from "../auth/ApiTokenFormat.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"

const DAY_MS = 86_400_000
const DEFAULT_LIFETIME_DAYS = 90

/** What the console shows of a token: built field by field, so a digest can never slip in. */
const toView = (token: ApiToken, now: number): TokenView => ({
  id: token.id,
  name: token.name,
  scopes: token.scopes,
  state: token.revokedAt !== null ? "revoked" : Date.parse(token.expiresAt) <= now ? "expired" : "active",
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
  revokedAt: token.revokedAt,
  lastUsedAt: token.lastUsedAt
})

/** API tokens managed over a session by workspace admins; the same tokens as `releasepassport token`. */
export const TokenAdminHandlers = HttpApiBuilder.group(
  Api,
  "tokens",
  Effect.fn(function*(handlers) {
    const tokens = yield* TokenStore
    return handlers
      .handle("list", () =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const listed = yield* tokens.list(workspace.id).pipe(Effect.mapError(unavailable))
          const now = yield* Clock.currentTimeMillis
          return { tokens: listed.map((token) => toView(token, now)) }
        }))
      .handle("create", ({ payload }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const value = generateApiToken()
          const now = yield* Clock.currentTimeMillis
          const token = yield* tokens.create({
            workspaceId: workspace.id,
            name: payload.name,
            scopes: [...new Set(payload.scopes)],
            digest: apiTokenDigest(value),
            now: new Date(now),
            expiresAt: new Date(now + (payload.expiresInDays ?? DEFAULT_LIFETIME_DAYS) * DAY_MS)
          }).pipe(Effect.mapError(unavailable))
          return { token: toView(token, now), value }
        }))
      .handle("revoke", ({ params }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const now = yield* Clock.currentTimeMillis
          const revoked = yield* tokens.revoke({ workspaceId: workspace.id, id: params.id, now: new Date(now) }).pipe(
            Effect.mapError(unavailable)
          )
          // Another workspace's token answers exactly like one that does not exist.
          if (!revoked) {
            return yield* new NotFound({ code: ProblemCodes.tokenNotFound, detail: "No active token with that id in this workspace." })
          }
        }))
  })
)

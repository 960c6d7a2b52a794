import { TokenStore } from "@releasepassport/core"
import type { ApiToken, StoreUnavailable, TokenScope } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import { TokenNotFound } from "../errors.ts"
import type { SecretInIdentifier } from "../errors.ts"
import { admit } from "../StorageText.ts"
import { apiTokenDigest, generateApiToken } from "./ApiTokenFormat.ts"
import type { TokenView } from "./TokenView.ts"

const DAY_MS = 86_400_000
export const DEFAULT_TOKEN_LIFETIME_MS = 90 * DAY_MS
export const MAX_TOKEN_LIFETIME_MS = 366 * DAY_MS

/** What anyone sees of a token: built field by field, so a digest can never slip in. */
export const tokenView = (token: ApiToken, now: number): TokenView => ({
  id: token.id,
  name: token.name,
  scopes: token.scopes,
  state: token.revokedAt !== null ? "revoked" : Date.parse(token.expiresAt) <= now ? "expired" : "active",
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
  revokedAt: token.revokedAt,
  lastUsedAt: token.lastUsedAt
})

/**
 * API tokens of a workspace: the same use case behind the console's token page, the JSON API
 * and `releasepassport token`. A new token's value exists only in the answer to `create`.
 */
export class Tokens extends Context.Service<Tokens, {
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<TokenView>, StoreUnavailable>
  readonly create: (input: {
    readonly workspaceId: string
    readonly name: string
    readonly scopes: ReadonlyArray<TokenScope>
    /**
     * The lifetime as a person gives it (the API and the console: whole days, checked by
     * `CreateTokenRequest`), or in milliseconds (the CLI's `--expires-in 12h`); days win when both
     * are given. Clamped to (0, 366 days]; 90 days when both are left out.
     */
    readonly expiresInDays?: number | undefined
    readonly lifetimeMs?: number | undefined
  }) => Effect.Effect<{ readonly token: TokenView; readonly value: Redacted.Redacted<string> }, SecretInIdentifier | StoreUnavailable>
  readonly revoke: (input: { readonly workspaceId: string; readonly id: string }) => Effect.Effect<void, TokenNotFound | StoreUnavailable>
}>()("@releasepassport/app/Tokens") {
  static readonly layer = Layer.effect(
    Tokens,
    Effect.gen(function*() {
      const tokens = yield* TokenStore
      return Tokens.of({
        list: (workspaceId) =>
          Effect.gen(function*() {
            const listed = yield* tokens.list(workspaceId)
            const now = yield* Clock.currentTimeMillis
            return listed.map((token) => tokenView(token, now))
          }),
        create: Effect.fn("Tokens.create")(function*(input) {
          // A token's name labels it in every list: the identifier rule (StorageText.ts).
          const { name } = (yield* admit({ name: input.name })).value
          const value = generateApiToken()
          const now = yield* Clock.currentTimeMillis
          const asked = input.expiresInDays !== undefined ? input.expiresInDays * DAY_MS : input.lifetimeMs
          const lifetime = Math.min(Math.max(1, asked ?? DEFAULT_TOKEN_LIFETIME_MS), MAX_TOKEN_LIFETIME_MS)
          const token = yield* tokens.create({
            workspaceId: input.workspaceId,
            name,
            scopes: [...new Set(input.scopes)],
            digest: apiTokenDigest(value),
            now: new Date(now),
            expiresAt: new Date(now + lifetime)
          })
          return { token: tokenView(token, now), value: Redacted.make(value) }
        }),
        revoke: Effect.fn("Tokens.revoke")(function*(input) {
          const now = yield* Clock.currentTimeMillis
          const revoked = yield* tokens.revoke({ workspaceId: input.workspaceId, id: input.id, now: new Date(now) })
          // Another workspace's token answers exactly like one that does not exist.
          if (!revoked) return yield* new TokenNotFound()
        })
      })
    })
  )
}

import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

/** Last use is recorded at most this often per token, so that authenticating stays a read. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000

export const TokenScopes = ["gate:evaluate", "evidence:ingest", "license:read", "reports:read", "policy:write", "metrics:read"] as const
export type TokenScope = (typeof TokenScopes)[number]

/** An API token as stored: never the token value, only facts about it. */
export interface ApiToken {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly scopes: ReadonlyArray<TokenScope>
  readonly createdAt: string
  readonly expiresAt: string
  readonly revokedAt: string | null
  readonly lastUsedAt: string | null
}

export class TokenStore extends Context.Service<TokenStore, {
  readonly create: (input: {
    readonly workspaceId: string
    readonly name: string
    readonly scopes: ReadonlyArray<TokenScope>
    /** sha256 hex of the token value. */
    readonly digest: string
    readonly now: Date
    readonly expiresAt: Date
  }) => Effect.Effect<ApiToken, StoreUnavailable>
  /** Looks a token up by digest; returns the stored digest too, for a constant-time re-check. */
  readonly findByDigest: (
    digest: string
  ) => Effect.Effect<{ readonly token: ApiToken; readonly digest: string } | undefined, StoreUnavailable>
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<ApiToken>, StoreUnavailable>
  /** Revokes a token of the workspace; false when there is no such token there (or it was already revoked). */
  readonly revoke: (input: {
    readonly workspaceId: string
    readonly id: string
    readonly now: Date
  }) => Effect.Effect<boolean, StoreUnavailable>
  /** Records a use, at most once a minute per token so that reads stay cheap. */
  readonly touch: (id: string, now: Date) => Effect.Effect<void, StoreUnavailable>
}>()("@releasepassport/core/ports/TokenStore") {}

import { TokenScopes } from "@releasepassport/core"
import { Schema } from "effect"

export const TokenScope = Schema.Literals(TokenScopes)

/** A token as the console shows it: never its value or digest. */
export const TokenView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  scopes: Schema.Array(TokenScope),
  state: Schema.Literals(["active", "expired", "revoked"]),
  createdAt: Schema.String,
  expiresAt: Schema.String,
  revokedAt: Schema.NullOr(Schema.String),
  lastUsedAt: Schema.NullOr(Schema.String)
})
export type TokenView = typeof TokenView.Type

export const TokenList = Schema.Struct({ tokens: Schema.Array(TokenView) })

/** The one answer that carries a token's value: shown once, never stored. */
export const CreatedToken = Schema.Struct({ token: TokenView, value: Schema.String })
export type CreatedToken = typeof CreatedToken.Type

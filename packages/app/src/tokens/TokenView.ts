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

/** A request for a new token: the API and the console decode the same shape. */
export const CreateTokenRequest = Schema.Struct({
  name: Schema.String.check(
    Schema.isMinLength(1),
    Schema.isMaxLength(100),
    Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "must not contain control characters" })
  ),
  scopes: Schema.Array(TokenScope).check(Schema.isMinLength(1, { message: "needs at least one scope" })),
  /** Lifetime in days (1 to 366); 90 when left out. */
  expiresInDays: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 366 })))
})

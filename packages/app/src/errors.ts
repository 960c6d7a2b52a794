import { Schema } from "effect"

/**
 * The use cases' failures, as values. Each carries what a caller needs to answer; the
 * transports translate them in one place each (the HTTP API: `http/DomainProblems.ts`).
 * The stores' own failures (`StoreUnavailable`, `IdempotencyKeyReused`,
 * `EvidenceIdentityConflict`) come from core and are re-exported beside these.
 */
export { EvidenceIdentityConflict, IdempotencyKeyReused, StoreUnavailable } from "@releasepassport/core"

/** No such passport in this workspace (another workspace's passport is the same answer). */
export class PassportNotFound extends Schema.TaggedError<PassportNotFound>()("PassportNotFound", {}) {}

/** No such comment on this passport. */
export class CommentNotFound extends Schema.TaggedError<CommentNotFound>()("CommentNotFound", {}) {}

/** Only the author, or an admin, may delete a comment. */
export class CommentNotYours extends Schema.TaggedError<CommentNotYours>()("CommentNotYours", {}) {}

/** A page cursor this server did not make. */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {}) {}

/** No active token with that id in this workspace. */
export class TokenNotFound extends Schema.TaggedError<TokenNotFound>()("TokenNotFound", {}) {}

/** A field that identifies something holds what looks like a secret; it cannot be redacted, so it is refused. */
export class SecretInIdentifier extends Schema.TaggedError<SecretInIdentifier>()("SecretInIdentifier", {
  /** Dotted path of the field in the request, e.g. `service.name`. */
  field: Schema.String
}) {}

/** Evidence observed further in the future than the allowed clock skew. */
export class ObservedInFuture extends Schema.TaggedError<ObservedInFuture>()("ObservedInFuture", {
  type: Schema.String
}) {}

export { UserEmailTaken, WorkspaceSlugTaken } from "@releasepassport/core"

/** No workspace with that slug. */
export class WorkspaceNotFound extends Schema.TaggedError<WorkspaceNotFound>()("WorkspaceNotFound", {
  slug: Schema.String
}) {}

/** No user with that email. */
export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  email: Schema.String
}) {}

/** The user is not a member of that workspace. */
export class NotAMember extends Schema.TaggedError<NotAMember>()("NotAMember", {
  email: Schema.String,
  slug: Schema.String
}) {}

/** An account field that breaks a rule (an email that is not one, a weak password, an empty name). */
export class InvalidAccount extends Schema.TaggedError<InvalidAccount>()("InvalidAccount", {
  field: Schema.String,
  message: Schema.String
}) {}

/** A report window that is not one: `since` at or after `until`, or longer than reports allow. */
export class InvalidReportWindow extends Schema.TaggedError<InvalidReportWindow>()("InvalidReportWindow", {
  message: Schema.String
}) {}
/**
 * An uploaded policy bundle that cannot decide gates, and which check it failed: `size` (over
 * the limit), `bundle` (not a tar.gz, no policy.wasm, bad data or manifest, wasm that does not
 * compile), `entrypoint` (no `releasepassport/gate/decision`), `trap` (aborts or runs out of
 * memory on a smoke input), `budget` (overruns the evaluation budget), `decision` (undefined or
 * not `{deny, warn}`), `cases` (its own cases do not give the codes they expect). Nothing is stored.
 */
export class PolicyBundleRejected extends Schema.TaggedError<PolicyBundleRejected>()("PolicyBundleRejected", {
  check: Schema.Literals(["size", "bundle", "entrypoint", "trap", "budget", "decision", "cases"]),
  message: Schema.String
}) {}

/**
 * No evaluation of that passport kept the input it was decided on: no such passport in this
 * workspace, or its evaluations predate kept inputs.
 */
export class PolicyInputNotFound extends Schema.TaggedError<PolicyInputNotFound>()("PolicyInputNotFound", {
  passportId: Schema.String
}) {}

/** No bundle with that digest in this workspace (another workspace's bundle is the same answer). */
export class PolicyBundleNotFound extends Schema.TaggedError<PolicyBundleNotFound>()("PolicyBundleNotFound", {
  digest: Schema.String
}) {}

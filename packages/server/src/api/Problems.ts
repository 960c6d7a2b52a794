import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"

/**
 * Every error the API answers is an RFC 9457 problem with a stable machine `code`.
 * Clients branch on `code`; `title` and `detail` are for humans and may change.
 */
const TYPE_BASE = "https://releasepassport.dev/problems/"

const Code = Schema.String

export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: `${TYPE_BASE}unauthorized`,
  status: 401,
  title: "Unauthorized"
}, { code: Code }) {}

export class Forbidden extends HttpApiError.Problem<Forbidden>()("Forbidden", {
  type: `${TYPE_BASE}forbidden`,
  status: 403,
  title: "Forbidden"
}, { code: Code }) {}

export class NotFound extends HttpApiError.Problem<NotFound>()("NotFound", {
  type: `${TYPE_BASE}not-found`,
  status: 404,
  title: "Not Found"
}, { code: Code }) {}

export class Conflict extends HttpApiError.Problem<Conflict>()("Conflict", {
  type: `${TYPE_BASE}conflict`,
  status: 409,
  title: "Conflict"
}, { code: Code }) {}

export class TooManyRequests extends HttpApiError.Problem<TooManyRequests>()("TooManyRequests", {
  type: `${TYPE_BASE}too-many-requests`,
  status: 429,
  title: "Too Many Requests"
}, { code: Code }) {}

/** One thing wrong with a request: where (`path`, starting with the request part) and what. */
export const ProblemIssue = Schema.Struct({
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
})

export class InvalidRequest extends HttpApiError.Problem<InvalidRequest>()("InvalidRequest", {
  type: `${TYPE_BASE}invalid-request`,
  status: 422,
  title: "Invalid Request"
}, { code: Code, errors: Schema.Array(ProblemIssue) }) {}

export class MalformedRequest extends HttpApiError.Problem<MalformedRequest>()("MalformedRequest", {
  type: `${TYPE_BASE}malformed-request`,
  status: 400,
  title: "Bad Request"
}, { code: Code }) {}

export class UnsupportedMediaType extends HttpApiError.Problem<UnsupportedMediaType>()("UnsupportedMediaType", {
  type: `${TYPE_BASE}unsupported-media-type`,
  status: 415,
  title: "Unsupported Media Type"
}, { code: Code }) {}

export class ServiceUnavailable extends HttpApiError.Problem<ServiceUnavailable>()("ServiceUnavailable", {
  type: `${TYPE_BASE}unavailable`,
  status: 503,
  title: "Service Unavailable"
}, { code: Code }) {}

/** Stable codes, in one place so the docs, tests and handlers agree. */
export const ProblemCodes = {
  authMissing: "auth.missing",
  authMalformed: "auth.malformed",
  authInvalid: "auth.invalid",
  authExpired: "auth.expired",
  authRevoked: "auth.revoked",
  scopeMissing: "auth.scope_missing",
  loginFailed: "auth.login_failed",
  throttled: "auth.throttled",
  originMismatch: "auth.origin_mismatch",
  csrfInvalid: "auth.csrf_invalid",
  roleInsufficient: "auth.role_insufficient",
  workspaceRequired: "workspace.required",
  workspaceNotFound: "workspace.not_found",
  tokenNotFound: "token.not_found",
  passportNotFound: "passport.not_found",
  commentNotFound: "comment.not_found",
  invalidCursor: "request.invalid_cursor",
  reportWindowInvalid: "report.window_invalid",
  requestInvalid: "request.invalid",
  requestMalformed: "request.malformed",
  requestTooLarge: "request.too_large",
  unsupportedMediaType: "request.unsupported_media_type",
  routeNotFound: "route.not_found",
  methodNotAllowed: "route.method_not_allowed",
  idempotencyKeyReused: "idempotency.key_reused",
  evidenceIdentityConflict: "evidence.identity_conflict",
  secretInIdentifier: "request.secret_in_identifier",
  observedInFuture: "evidence.observed_in_future",
  storeUnavailable: "store.unavailable",
  policyUnavailable: "policy.unavailable",
  policyBundleInvalid: "policy.bundle_invalid",
  policyBundleNotFound: "policy.bundle_not_found",
  policyInputNotFound: "policy.input_not_found",
  serverStarting: "server.starting",
  internal: "internal"
} as const

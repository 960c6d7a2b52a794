/**
 * Redaction: replaces secrets by `[REDACTED:<kind>]` in evidence (and later reports and logs).
 * Pure and synchronous. The rules live in `rules.ts`.
 */
export { maxJsonDepth, sanitizeBatch, sanitizeJson, sanitizeText } from "./sanitize.ts"
export type { Redactions, SanitizedJson, SanitizedText } from "./sanitize.ts"
export { isMarker, redactionMarker, secretKinds } from "./SecretKind.ts"
export type { SecretKind } from "./SecretKind.ts"

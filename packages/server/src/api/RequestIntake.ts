import { HttpApiMiddleware } from "effect/http-api"
import { InvalidRequest, MalformedRequest, UnsupportedMediaType } from "./Problems.ts"

/**
 * What every request must be before any endpoint decodes it, whatever its schema says:
 * one Authorization header, a body only as uncompressed `application/json`, and no string
 * (in the body, its keys, the path or the query) that holds NUL or an unpaired surrogate.
 * PostgreSQL cannot store those and SQLite truncates at NUL, so they are refused with the
 * same 422 on both databases before anything is written.
 */
export class RequestIntake extends HttpApiMiddleware.Service<RequestIntake>()(
  "@releasepassport/server/RequestIntake",
  { error: [InvalidRequest, MalformedRequest, UnsupportedMediaType] }
) {}

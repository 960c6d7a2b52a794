import { HttpApiMiddleware } from "effect/http-api"
import { InvalidRequest, MalformedRequest } from "./Problems.ts"

/**
 * Turns request decoding failures into problems: 400 `request.malformed` for a body that
 * is not JSON, 422 `request.invalid` listing every problem for a body of the wrong shape.
 */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "@releasepassport/server/RequestValidation",
  { error: [InvalidRequest, MalformedRequest] }
) {}

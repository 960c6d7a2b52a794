import { Effect, SchemaIssue } from "effect"
import { HttpApiMiddleware } from "effect/http-api"
import type { HttpApiError } from "effect/http-api"
import { InvalidRequest, MalformedRequest, ProblemCodes } from "../api/Problems.ts"
import { RequestValidation } from "../api/RequestValidation.ts"

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const segment = (s: PropertyKey | { readonly key: PropertyKey }): string | number => {
  const key = typeof s === "object" ? s.key : s
  return typeof key === "number" ? key : String(key)
}

const NOT_JSON = "Expected a valid JSON body"

const toProblem = (error: HttpApiError.HttpApiSchemaError) => {
  const slot = error.kind.toLowerCase()
  const issues = formatIssues(error.cause.issue).issues.map((issue) => ({
    path: [slot, ...(issue.path ?? []).map(segment)],
    message: issue.message
  }))
  if (error.kind === "Payload" && issues.length === 1 && issues[0]?.message === NOT_JSON) {
    return new MalformedRequest({ code: ProblemCodes.requestMalformed, detail: "The request body is not valid JSON." })
  }
  return new InvalidRequest({
    code: ProblemCodes.requestInvalid,
    detail: `The request has ${issues.length} problem${issues.length === 1 ? "" : "s"}.`,
    errors: issues
  })
}

export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  RequestValidation,
  (error) =>
    // Response encoding failures are our bug, not the client's: let them become a 500.
    error.kind === "Body" || error.kind === "ResponseHeaders" ? Effect.fail(error) : Effect.fail(toProblem(error))
)

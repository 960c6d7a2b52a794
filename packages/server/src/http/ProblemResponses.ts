import { ByteSize, Cause, Effect, Exit } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { randomUUID } from "node:crypto"
import { ProblemCodes } from "../api/Problems.ts"

const PROBLEM = "application/problem+json"

const byStatus: Record<number, { readonly title: string; readonly code: string; readonly detail: string }> = {
  400: { title: "Bad Request", code: ProblemCodes.requestMalformed, detail: "The request could not be read." },
  404: { title: "Not Found", code: ProblemCodes.routeNotFound, detail: "No such route." },
  405: { title: "Method Not Allowed", code: ProblemCodes.methodNotAllowed, detail: "This route does not take that method." },
  413: { title: "Content Too Large", code: ProblemCodes.requestTooLarge, detail: "The request body is too large." },
  415: {
    title: "Unsupported Media Type",
    code: ProblemCodes.unsupportedMediaType,
    detail: "Send the body as application/json."
  }
}

const isProblem = (response: HttpServerResponse.HttpServerResponse) =>
  (response.headers["content-type"] ?? "").startsWith(PROBLEM)

/** The console answers browsers with its own error pages (HTML); those are left as they are. */
const isPage = (response: HttpServerResponse.HttpServerResponse) =>
  (response.headers["content-type"] ?? ("contentType" in response.body ? response.body.contentType : undefined) ?? "").startsWith("text/html")

const problem = (
  status: number,
  fields: { readonly title: string; readonly code: string; readonly detail: string; readonly correlationId?: string },
  headers: Record<string, string>
) =>
  HttpServerResponse.jsonUnsafe(
    { type: "about:blank", status, ...fields },
    { status, contentType: PROBLEM, headers }
  )

/**
 * One place where every answer that is an error becomes an RFC 9457 problem:
 * unmatched routes, unreadable or oversized bodies, unsupported media types, and
 * defects. A defect is logged with a correlation id and answered as a 500 that carries
 * only that id: never a stack trace or a message that could hold a secret.
 */
export const problemResponses = (options: {
  readonly maxBodyBytes: number
  /** Routes (exact paths) that take larger bodies than the rest. */
  readonly largerBodies?: ReadonlyArray<{ readonly path: string; readonly maxBodyBytes: number }>
}) =>
  HttpRouter.middleware(
    (httpEffect) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const pathname = request.url.split("?")[0]
        const limit = options.largerBodies?.find((route) => route.path === pathname)?.maxBodyBytes ?? options.maxBodyBytes
        const exit = yield* Effect.exit(
          Effect.provideService(httpEffect, HttpServerRequest.MaxBodySize, ByteSize.bytes(limit))
        )
        let response: HttpServerResponse.HttpServerResponse
        if (Exit.isSuccess(exit)) {
          response = exit.value
        } else {
          if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
          response = (yield* HttpServerError.causeResponse(exit.cause))[0]
          if (response.status >= 500 && !isProblem(response)) {
            const correlationId = randomUUID()
            yield* Effect.logError("request failed", Cause.pretty(exit.cause)).pipe(
              Effect.annotateLogs({ correlationId })
            )
            return problem(500, {
              title: "Internal Server Error",
              code: ProblemCodes.internal,
              detail: "Something went wrong on our side. Quote the correlation id when reporting it.",
              correlationId
            }, {})
          }
        }
        if (response.status < 400 || isProblem(response) || isPage(response)) return response
        const known = byStatus[response.status] ??
          { title: "Error", code: response.status >= 500 ? ProblemCodes.internal : ProblemCodes.requestMalformed, detail: "" }
        const { "content-type": _type, "content-length": _length, ...headers } = response.headers
        return problem(response.status, known, headers)
      }),
    { global: true }
  )

import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpServerRequest } from "effect/http"
import { InvalidRequest, MalformedRequest, ProblemCodes, UnsupportedMediaType } from "../api/Problems.ts"
import { RequestIntake } from "../api/RequestIntake.ts"

/** NUL, or a surrogate half without its other half. */
// Without the `u` flag a pattern sees UTF-16 code units, which is what finds a lone half.
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const MESSAGE = "must not contain NUL or unpaired surrogate characters"

/**
 * The path to the first string (or key) in a parsed JSON value that cannot be stored, walked
 * without recursion so that deep nesting cannot overflow the stack here.
 */
export const firstUnstorable = (root: unknown): Array<string | number> | undefined => {
  const stack: Array<[unknown, Array<string | number>]> = [[root, []]]
  while (stack.length > 0) {
    const [value, path] = stack.pop()!
    if (typeof value === "string") {
      if (unstorable.test(value)) return path
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], [...path, i]])
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (unstorable.test(key)) return [...path, key]
        stack.push([item, [...path, key]])
      }
    }
  }
  return undefined
}

/**
 * Whether a JSON text could parse to a string that cannot be stored, decided from the text
 * alone: parsed, a NUL can only come from a `\u` escape (a raw one is not valid JSON), and a
 * surrogate half from a `\u` escape or a surrogate in the text itself. When neither is there,
 * walking the parsed value would find nothing; for a batch of 100 evidence items that walk
 * (a path array per value) was about 3% of the request.
 */
export const mayHoldUnstorable = (text: string): boolean => text.includes("\\u") || /[\ud800-\udfff]/.test(text)

const invalid = (path: ReadonlyArray<string | number>) =>
  new InvalidRequest({
    code: ProblemCodes.requestInvalid,
    detail: "The request has 1 problem.",
    errors: [{ path: [...path], message: MESSAGE }]
  })

const malformed = (detail: string) => new MalformedRequest({ code: ProblemCodes.requestMalformed, detail })
const unsupported = (detail: string) => new UnsupportedMediaType({ code: ProblemCodes.unsupportedMediaType, detail })

/** Node keeps only the first of repeated Authorization headers; the raw list tells. */
const authorizationCount = (request: HttpServerRequest.HttpServerRequest): number => {
  try {
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    if (!("headersDistinct" in source)) return request.headers["authorization"] === undefined ? 0 : 1
    return source.headersDistinct["authorization"]?.length ?? 0
  } catch {
    return request.headers["authorization"] === undefined ? 0 : 1
  }
}

const hasBody = (request: HttpServerRequest.HttpServerRequest) => {
  const length = request.headers["content-length"]
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined
}

const isJson = (contentType: string | undefined) => {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase()
  return media === "application/json" || (media.startsWith("application/") && media.endsWith("+json"))
}

const mediaType = (contentType: string | undefined) => (contentType ?? "").split(";")[0]!.trim().toLowerCase()

export const RequestIntakeLive = Layer.succeed(RequestIntake, (httpEffect, { endpoint }) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    // With two, a proxy and this server could each believe a different one.
    if (authorizationCount(request) > 1) return yield* malformed("Send one Authorization header.")

    const url = new URL(request.url, "http://localhost")
    let segments: Array<string>
    try {
      segments = url.pathname.split("/").map(decodeURIComponent)
    } catch {
      return yield* malformed("The request path is not valid percent-encoded UTF-8.")
    }
    if (segments.some((segment) => unstorable.test(segment))) return yield* invalid(["path"])
    for (const [name, value] of url.searchParams) {
      if (unstorable.test(name) || unstorable.test(value)) return yield* invalid(["query", name])
    }

    if (hasBody(request)) {
      const encoding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase()
      // Decompressing would need its own size limit; nobody needs it for bodies this small.
      if (encoding !== "identity") return yield* unsupported("Send the body uncompressed (no Content-Encoding).")
      // The media types are the endpoint's own, as the API definition declares them: JSON, or
      // bytes where a route takes a file (a policy bundle), whose content the route checks.
      const declared = [...endpoint.payload.keys()].map((type) => type.toLowerCase())
      const json = isJson(request.headers["content-type"])
      if (!json && !declared.includes(mediaType(request.headers["content-type"]))) {
        return yield* unsupported(`Send the body as ${declared.filter((type) => type !== "multipart/form-data").join(" or ") || "application/json"}.`)
      }
      // Read once, within the size limit; the decoder reuses this same cached text.
      const text = json ? yield* Effect.orElseSucceed(request.text, () => undefined) : undefined
      if (text !== undefined) {
        let parsed: unknown
        let ok = true
        try {
          parsed = JSON.parse(text)
        } catch {
          ok = false // the decoder answers that one (400 request.malformed)
        }
        if (ok && mayHoldUnstorable(text)) {
          const path = firstUnstorable(parsed)
          if (path !== undefined) return yield* invalid(["payload", ...path])
        }
      }
    }
    return yield* httpEffect
  }))

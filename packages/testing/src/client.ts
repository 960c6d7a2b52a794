import { Api, BearerToken } from "@releasepassport/server"
import { Effect } from "effect"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"

/**
 * The typed client derived from the API definition, as the tests' main way to call the
 * server: a rename or a schema change breaks the tests at compile time.
 */
export const apiClient = (baseUrl: string, token?: string) =>
  Effect.runPromise(
    HttpApiClient.make(Api, { baseUrl }).pipe(
      Effect.provide(
        HttpApiMiddleware.layerClient(BearerToken, ({ next, request }) =>
          next(token === undefined ? request : HttpClientRequest.bearerToken(request, token)))
      ),
      Effect.provide(FetchHttpClient.layer)
    )
  )

export type ApiClient = Awaited<ReturnType<typeof apiClient>>

export interface RawAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

/** An HTTP answer as the tests look at it: status, headers, the raw text and its JSON if any. */
export const readAnswer = async (response: Response): Promise<RawAnswer> => {
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** Raw HTTP, for what a typed client will not send (bad JSON, odd headers, huge bodies). */
export const rawPost = async (url: string, body: string, headers: Record<string, string> = {}): Promise<RawAnswer> =>
  readAnswer(await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }))

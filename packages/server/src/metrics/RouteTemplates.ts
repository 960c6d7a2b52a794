import { HttpApi } from "effect/http-api"
import { Api } from "../api/Api.ts"

/**
 * The route a request matched, as declared in the API (`/releasepassport/v1/passports/:id`),
 * for labels: a raw path would put every passport id into its own time series. Anything the
 * API does not declare is `unmatched`, so scanners probing random paths cost one series.
 */
const declared = (() => {
  const routes: Array<{ readonly method: string; readonly template: string; readonly pattern: RegExp }> = []
  HttpApi.reflect(Api, {
    onGroup: () => undefined,
    onEndpoint: ({ endpoint }) => {
      const source = endpoint.path
        .split("/")
        .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("/")
      routes.push({ method: endpoint.method, template: endpoint.path, pattern: new RegExp(`^${source}/?$`) })
    }
  })
  return routes
})()

export const UNMATCHED_ROUTE = "unmatched"

/** `extra`: fixed paths served beside the API's endpoints (the OpenAPI document, the docs page). */
export const routeOf = (method: string, pathname: string, extra: ReadonlyArray<string> = []): string => {
  const wanted = method === "HEAD" ? "GET" : method
  for (const route of declared) if (route.method === wanted && route.pattern.test(pathname)) return route.template
  for (const path of extra) if (path === pathname) return path
  return UNMATCHED_ROUTE
}

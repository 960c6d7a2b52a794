import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { ServiceUnavailable } from "./Problems.ts"

export const Health = Schema.Struct({ status: Schema.Literal("ok") })

export const Readiness = Schema.Struct({
  status: Schema.Literal("ready"),
  database: Schema.Literal("ok"),
  policy: Schema.Struct({
    revision: Schema.String,
    bundleDigest: Schema.String,
    /**
     * Workspaces whose active bundle this replica could not load: each keeps deciding with the
     * bundle it had until the bundle is fixed or another is activated.
     */
    workspaceProblems: Schema.Array(Schema.Struct({
      workspaceId: Schema.String,
      kind: Schema.Literals(["active", "candidate"]),
      digest: Schema.String,
      reason: Schema.String
    }))
  })
})

export class SystemApi extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Health }),
    HttpApiEndpoint.get("readyz", "/readyz", { success: Readiness, error: ServiceUnavailable })
  )
{}

import { CandidateReport, PassportPolicyInput, PolicyOverview, ReplayReport, PolicySwitch, UploadedPolicyBundle } from "@releasepassport/app"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { InvalidRequest, NotFound, ServiceUnavailable } from "./Problems.ts"
import { AcceptedScopes } from "./Security.ts"
import { SessionOrToken } from "./SessionOrTokenSecurity.ts"
import { MinimumRole, WorkspaceQuery } from "./SessionSecurity.ts"

export { CandidateReport, PassportPolicyInput, PolicyOverview, PolicySwitch, UploadedPolicyBundle }

/** The path of the upload route, for the body limit that applies to it alone. */
export const POLICY_BUNDLES_PATH = "/policies/bundles"

/** A bundle as `opa build -t wasm` writes it; `application/octet-stream` is accepted too (what `curl --data-binary` sends). */
const BundleBytes = [
  Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/gzip" })),
  Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/octet-stream" }))
]

const DigestParams = { digest: Schema.String }

const DateTime = Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, {
  message: "must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z"
}))

export const ReplayRequest = Schema.Struct({
  bundleDigest: Schema.String,
  since: DateTime,
  /** Default: now. */
  until: Schema.optionalKey(DateTime),
  environment: Schema.optionalKey(Schema.String),
  /** Page through the window (oldest first): skip this many, replay at most `limit` (1 to 5 000). */
  offset: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5000 })))
})

export class PoliciesApi extends HttpApiGroup.make("policies")
  .add(
    HttpApiEndpoint.put("upload", POLICY_BUNDLES_PATH, {
      query: WorkspaceQuery,
      payload: BundleBytes,
      success: UploadedPolicyBundle,
      error: [InvalidRequest, ServiceUnavailable]
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "Uploads a policy bundle (tar.gz from `opa build -t wasm`, at most 10 MiB) to the workspace. It is validated " +
          "before it is stored: it loads, has the entrypoint releasepassport/gate/decision, decides smoke inputs " +
          "within the evaluation budget, and gives the codes each of its own cases (cases/gate-cases.json, packed by " +
          "`releasepassport policy build`) expects; otherwise 422 policy.bundle_invalid says which check failed, and nothing " +
          "changes. Uploading does not activate it. An admin session or a token with scope policy:write."
      ),
    HttpApiEndpoint.post("activate", `${POLICY_BUNDLES_PATH}/:digest/activate`, {
      params: DigestParams,
      query: WorkspaceQuery,
      success: PolicySwitch,
      error: [NotFound, ServiceUnavailable]
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "Makes an uploaded bundle the one that decides the workspace's gates. Every replica switches within a few " +
          "seconds, without a restart; the change is recorded (who, when, from which digest to which)."
      ),
    HttpApiEndpoint.post("candidate", `${POLICY_BUNDLES_PATH}/:digest/candidate`, {
      params: DigestParams,
      query: WorkspaceQuery,
      success: PolicySwitch,
      error: [NotFound, ServiceUnavailable]
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "Makes an uploaded bundle the workspace's candidate: every gate also evaluates it, in shadow, and records " +
          "its verdict and findings beside the active one (the answer carries them as `candidate`); it never " +
          "changes `allowed`. Recorded like an activation."
      ),
    HttpApiEndpoint.delete("clearCandidate", "/policies/candidate", {
      query: WorkspaceQuery,
      success: PolicySwitch,
      error: [ServiceUnavailable]
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "The workspace has no candidate any more: gates stop evaluating one in shadow, on every replica. Recorded " +
          "like an activation (the change goes to none); `change` is null when there was no candidate."
      ),
    HttpApiEndpoint.get("candidateReport", "/reports/candidate", {
      query: {
        ...WorkspaceQuery,
        since: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, {
          message: "must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z"
        }))).annotate({ description: "Start of the window (RFC 3339); default: 7 days ago." })
      },
      success: CandidateReport,
      error: [InvalidRequest, ServiceUnavailable]
    })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "The workspace's gate evaluations since `since` where the candidate bundle and the active one disagree, " +
          "by rule: verdict flips, blockers the candidate adds, blockers it removes (counted per evaluation), and " +
          "the disagreeing evaluations themselves (newest first). At most the newest 10 000 evaluations are read."
      ),
    HttpApiEndpoint.post("replay", "/policies/replay", {
      query: WorkspaceQuery,
      payload: ReplayRequest,
      success: ReplayReport,
      error: [InvalidRequest, NotFound, ServiceUnavailable]
    })
      .annotate(MinimumRole, "admin")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "Re-runs an uploaded bundle over the workspace's past gate evaluations in [since, until) (optionally one " +
          "environment), on the exact policy inputs they were decided on, and answers where it would have decided " +
          "otherwise, grouped like the candidate report, with how many were replayed and how many the window holds " +
          "(`inWindow`). Bounded: the oldest 5 000 evaluations of the window (from `offset`, at most `limit`), 60 s. " +
          "With `until` in the past the window is stable, so it can be replayed page by page. Changes nothing."
      ),
    HttpApiEndpoint.get("passportInput", "/passports/:id/policy-input", {
      params: { id: Schema.String },
      query: WorkspaceQuery,
      success: PassportPolicyInput,
      error: [NotFound, ServiceUnavailable]
    })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["reports:read", "policy:write"])
      .annotate(
        OpenApi.Description,
        "A passport's newest gate evaluation that kept its policy input: the exact input, the verdict and blockers " +
          "it got then and the revision that decided, and the workspace's active bundle now, so the input can be " +
          "re-run through another bundle (`releasepassport policy eval --passport`). 404 policy.input_not_found " +
          "when no evaluation of the passport (in this workspace) kept its input."
      ),
    HttpApiEndpoint.get("bundle", `${POLICY_BUNDLES_PATH}/:digest`, {
      params: DigestParams,
      query: WorkspaceQuery,
      success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/gzip" })),
      error: [NotFound, ServiceUnavailable]
    })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["reports:read", "policy:write"])
      .annotate(
        OpenApi.Description,
        "The bytes of one of the workspace's bundles, exactly as uploaded (tar.gz), to evaluate with it locally."
      ),
    HttpApiEndpoint.get("overview", "/policies", { query: WorkspaceQuery, success: PolicyOverview })
      .annotate(MinimumRole, "viewer")
      .annotate(AcceptedScopes, ["policy:write"])
      .annotate(
        OpenApi.Description,
        "The workspace's bundles, which is active (null: the server's default bundle) and which is the candidate, " +
          "and the latest changes, newest first."
      )
  )
  .middleware(SessionOrToken)
  .annotateMerge(OpenApi.annotations({ title: "Policies", description: "Per-workspace policy bundles and their activation" }))
{}

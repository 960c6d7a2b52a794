import { Schema } from "effect"

/**
 * Strings that name things in a pipeline: non-empty, bounded, one line.
 * Bounded so a hostile client cannot make us store or evaluate megabytes per field.
 */
const boundedName = (maxLength: number) =>
  Schema.String.check(
    Schema.isMinLength(1, { message: "must not be empty" }),
    Schema.isMaxLength(maxLength, { message: `must be at most ${maxLength} characters` }),
    Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "must not contain control characters" })
  )

export const GateMode = Schema.Literals(["shadow", "enforce"])
export type GateMode = typeof GateMode.Type

export const ServiceRef = Schema.Struct({
  name: boundedName(253),
  namespace: boundedName(253)
})
export type ServiceRef = typeof ServiceRef.Type

export const ReleaseRef = Schema.Struct({
  releaseId: boundedName(200),
  sourceSha: boundedName(200)
})
export type ReleaseRef = typeof ReleaseRef.Type

export const ArtifactRef = Schema.Struct({
  // Whether the digest is well formed is a policy question (artifact.digest_invalid),
  // so that it is recorded on the passport rather than bounced at the door.
  digest: boundedName(512)
})

/**
 * What CI/CD sends to `POST /gate/evaluate` before promoting a release.
 * Structure is checked here (422 when wrong); content is judged by the policies.
 */
export const GateRequest = Schema.Struct({
  mode: GateMode,
  service: Schema.Struct({
    ...ServiceRef.fields,
    environment: boundedName(100)
  }),
  artifact: ArtifactRef,
  release: Schema.Struct({
    ...ReleaseRef.fields,
    renderedManifestPath: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(1024)))
  }),
  health: Schema.Struct({
    ready: Schema.Boolean,
    requireHealthyTarget: Schema.Boolean
  }),
  rollback: Schema.Struct({
    available: Schema.Boolean,
    verified: Schema.Boolean
  })
})
export type GateRequest = typeof GateRequest.Type

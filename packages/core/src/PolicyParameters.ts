/**
 * Policy parameters read on the host, for what a reader sees beside a verdict. They come from
 * the bundle's data document (`data.releasepassport.config`, `policies/src/data.json`), which
 * the rules read too; these functions follow the rules' reading exactly, so the console never
 * shows a limit the policy does not apply.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const own = (object: Record<string, unknown>, key: string): unknown =>
  Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined

/**
 * The maximum evidence age, in seconds, for an environment: the environment's own entry in
 * `config.evidence.max_age_seconds`, else its `default`; undefined when that is not a number
 * (no maximum: nothing is stale). Mirrors `max_age_seconds` in `policies/src/decision.rego`:
 * an environment entry that is present but not a number does not fall back to the default.
 */
export const maxEvidenceAgeSeconds = (data: unknown, environment: string | null): number | undefined => {
  const root = isObject(data) ? own(data, "releasepassport") : undefined
  const config = isObject(root) ? own(root, "config") : undefined
  if (!isObject(config)) return undefined
  const evidence = own(config, "evidence")
  if (!isObject(evidence)) return undefined
  const ages = own(evidence, "max_age_seconds")
  if (!isObject(ages)) return undefined
  const entry = environment !== null && Object.prototype.hasOwnProperty.call(ages, environment) ? ages[environment] : own(ages, "default")
  return typeof entry === "number" && Number.isFinite(entry) ? entry : undefined
}

/**
 * An evidence item's age as the policies see it (`ageSeconds`): whole seconds since it was
 * observed; evidence observed "in the future" (clock skew) has age 0.
 */
export const evidenceAgeSeconds = (observedAt: string, nowMs: number): number =>
  Math.max(0, Math.floor((nowMs - Date.parse(observedAt)) / 1000))

/** Stale as the rules decide it: older than the maximum (an item exactly at the maximum is fresh). */
export const isEvidenceStale = (ageSeconds: number, maxAgeSeconds: number | undefined): boolean =>
  maxAgeSeconds !== undefined && ageSeconds > maxAgeSeconds

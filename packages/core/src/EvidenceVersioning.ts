/**
 * The rules of evidence versions, as pure functions: the store runs them inside its
 * transaction (it holds the rows and the locks), but it does not decide them.
 */

/** The newest stored version of one evidence item (source + externalId + type). */
export interface LatestEvidenceVersion {
  readonly passportId: string
  readonly version: number
  readonly contentHash: string
}

export type EvidenceVersionPlan =
  /** The item's identity already belongs to another release's passport: refuse the batch. */
  | { readonly _tag: "Conflict"; readonly passportId: string }
  /** Same content as the newest version: a re-send, nothing to write. */
  | { readonly _tag: "Unchanged" }
  | {
    readonly _tag: "Write"
    readonly version: number
    readonly outcome: "created" | "updated"
    /** The batch names another artifact than the release was first seen with (a policy blocker, not an overwrite). */
    readonly digestMismatch: boolean
    readonly sourceShaMismatch: boolean
  }

export const planEvidenceVersion = (args: {
  readonly passport: { readonly id: string; readonly artifactDigest: string; readonly sourceSha: string }
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly contentHash: string
  readonly latest: LatestEvidenceVersion | undefined
}): EvidenceVersionPlan => {
  const { latest, passport } = args
  if (latest !== undefined && latest.passportId !== passport.id) return { _tag: "Conflict", passportId: latest.passportId }
  if (latest !== undefined && latest.contentHash === args.contentHash) return { _tag: "Unchanged" }
  return {
    _tag: "Write",
    version: (latest?.version ?? 0) + 1,
    outcome: latest === undefined ? "created" : "updated",
    digestMismatch: args.artifactDigest !== passport.artifactDigest,
    sourceShaMismatch: args.sourceSha !== passport.sourceSha
  }
}

/** "2 created, 1 unchanged": what a connector's last batch did, as its health page shows it. */
export const describeEvidenceBatch = (outcomes: ReadonlyArray<"created" | "updated" | "unchanged">): string => {
  const counts = new Map<string, number>()
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  return ["created", "updated", "unchanged"].filter((o) => counts.has(o)).map((o) => `${counts.get(o)} ${o}`).join(", ")
}

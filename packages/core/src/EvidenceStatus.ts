import { Schema } from "effect"

/** What an evidence item says about the release: shared by the batch schema and the policy input. */
export const EvidenceStatuses = ["passed", "failed", "warning", "error", "skipped"] as const
export const EvidenceStatus = Schema.Literals(EvidenceStatuses)
export type EvidenceStatus = typeof EvidenceStatus.Type

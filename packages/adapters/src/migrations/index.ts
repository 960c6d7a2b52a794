import type { Migration, MigrationProvider } from "kysely/migration"
import type { ColumnTypes } from "./ColumnTypes.ts"
import { gate } from "./20261129_0001_gate.ts"
import { evidence } from "./20261129_0002_evidence.ts"
import { accounts } from "./20261129_0003_accounts.ts"
import { comments } from "./20261129_0004_comments.ts"
import { connectors } from "./20261129_0005_connectors.ts"
import { licenses } from "./20261129_0006_licenses.ts"
import { passportListIndexes } from "./20261129_0007_passport_list_indexes.ts"
import { evaluationEvidence } from "./20261201_0008_evaluation_evidence.ts"
import { decisionExportIndex } from "./20261201_0009_decision_export_index.ts"
import { policyBundles } from "./20261201_0010_policy_bundles.ts"
import { candidateVerdicts } from "./20261201_0011_candidate_verdicts.ts"
import { evaluationInputs } from "./20261201_0012_evaluation_inputs.ts"

/** Every migration, in order. Names are timestamps; a migration is never edited once shipped. */
export const migrationProvider = (types: ColumnTypes): MigrationProvider => ({
  getMigrations: async (): Promise<Record<string, Migration>> => ({
    "20261129_0001_gate": gate(types),
    "20261129_0002_evidence": evidence(types),
    "20261129_0003_accounts": accounts(types),
    "20261129_0004_comments": comments(types),
    "20261129_0005_connectors": connectors(types),
    "20261129_0006_licenses": licenses(types),
    "20261129_0007_passport_list_indexes": passportListIndexes(types),
    "20261201_0008_evaluation_evidence": evaluationEvidence(types),
    "20261201_0009_decision_export_index": decisionExportIndex(types),
    "20261201_0010_policy_bundles": policyBundles(types),
    "20261201_0011_candidate_verdicts": candidateVerdicts(types),
    "20261201_0012_evaluation_inputs": evaluationInputs(types)
  })
})

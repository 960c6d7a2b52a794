import { CommentStore, ConnectorStore, EvidenceStore, LicenseStore, LoginThrottleStore, PassportStore, PolicyBundleStore, ReportStore, SessionStore, TokenStore, UserStore, WorkspaceStore } from "@releasepassport/core"
import { Context, Layer } from "effect"
import type { Tables } from "./schema.ts"
import type { SqlDatabase } from "./SqlTraits.ts"
import { makeLoginThrottleStore } from "./stores/LoginThrottleStoreSql.ts"
import { makeCommentStore } from "./stores/CommentStoreSql.ts"
import { makeConnectorStore } from "./stores/ConnectorStoreSql.ts"
import { makeEvidenceStore } from "./stores/EvidenceStoreSql.ts"
import { makeLicenseStore } from "./stores/LicenseStoreSql.ts"
import { makePassportStore } from "./stores/PassportStoreSql.ts"
import { makeReportStore } from "./stores/ReportStoreSql.ts"
import { makePolicyBundleStore } from "./stores/PolicyBundleStoreSql.ts"
import { makeSessionStore } from "./stores/SessionStoreSql.ts"
import { makeSqlRunner } from "./stores/SqlRunner.ts"
import { makeTokenStore } from "./stores/TokenStoreSql.ts"
import { makeUserStore } from "./stores/UserStoreSql.ts"
import { makeWorkspaceStore } from "./stores/WorkspaceStoreSql.ts"

/** Every store port, implemented over one SQL database (any supported dialect). */
export const makeStores = (database: SqlDatabase<Tables>) => {
  const sql = makeSqlRunner(database)
  return {
    workspaces: makeWorkspaceStore(sql),
    tokens: makeTokenStore(sql),
    licenses: makeLicenseStore(sql),
    passports: makePassportStore(sql),
    reports: makeReportStore(sql),
    evidence: makeEvidenceStore(sql),
    comments: makeCommentStore(sql),
    connectors: makeConnectorStore(sql),
    users: makeUserStore(sql),
    sessions: makeSessionStore(sql),
    loginThrottles: makeLoginThrottleStore(sql),
    policyBundles: makePolicyBundleStore(sql)
  }
}
export type Stores = ReturnType<typeof makeStores>

/** The stores as a Layer, for the server and for Effect tests. */
export const storesLayer = (database: SqlDatabase<Tables>) => {
  const stores = makeStores(database)
  return Layer.succeedContext(
    Context.make(WorkspaceStore, stores.workspaces).pipe(
      Context.add(TokenStore, stores.tokens),
      Context.add(LicenseStore, stores.licenses),
      Context.add(PassportStore, stores.passports),
      Context.add(ReportStore, stores.reports),
      Context.add(EvidenceStore, stores.evidence),
      Context.add(CommentStore, stores.comments),
      Context.add(ConnectorStore, stores.connectors),
      Context.add(UserStore, stores.users),
      Context.add(SessionStore, stores.sessions),
      Context.add(LoginThrottleStore, stores.loginThrottles),
      Context.add(PolicyBundleStore, stores.policyBundles)
    )
  )
}

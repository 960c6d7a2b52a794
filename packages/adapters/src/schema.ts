/**
 * Row types of the current schema, as Kysely sees them. Migrations do not import this
 * file (they are frozen in time); stores do. Booleans are 0/1 integers in every dialect
 * and timestamps/JSON pass through `SqlTraits`.
 */
export interface WorkspaceRow {
  id: string
  slug: string
  name: string
  created_at: string | Date
}

export interface ApiTokenRow {
  id: string
  workspace_id: string
  name: string
  /** sha256 hex of the whole token; the token itself is never stored. */
  digest: string
  /** JSON array of scopes. */
  scopes: string
  created_at: string | Date
  expires_at: string | Date
  revoked_at: string | Date | null
  last_used_at: string | Date | null
}

export interface PassportRow {
  id: string
  workspace_id: string
  service_namespace: string
  service_name: string
  release_id: string
  artifact_digest: string
  source_sha: string
  created_at: string | Date
  updated_at: string | Date
}

export interface GateEvaluationRow {
  id: string
  workspace_id: string
  passport_id: string
  environment: string
  mode: string
  verdict: string
  allowed: number
  would_block: number
  blockers: unknown
  warnings: unknown
  policy_revision: string
  bundle_digest: string
  request: unknown
  token_id: string | null
  evaluated_at: string | Date
  duration_ms: number
  /** Ids of the evidence versions the verdict was decided on (JSON array); null before 0008. */
  evidence_ids: unknown
  /** The candidate bundle's verdict in shadow (JSON `CandidateOutcome`); null without a candidate. */
  candidate?: unknown
  /** The policy input the verdict was decided on (JSON); null before 0011. */
  policy_input?: unknown
}

export interface PassportStampRow {
  passport_id: string
  environment: string
  evaluation_id: string
  verdict: string
  mode: string
  blocker_count: number
  evaluated_at: string | Date
}

export interface EvidenceRow {
  id: string
  workspace_id: string
  passport_id: string
  source: string
  external_id: string
  type: string
  version: number
  is_latest: number
  status: string
  summary: string
  url: string | null
  details: unknown
  private: number
  artifact_digest: string
  source_sha: string
  digest_mismatch: number
  sha_mismatch: number
  content_hash: string
  redactions: number
  observed_at: string | Date
  received_at: string | Date
  token_id: string | null
}

export interface IdempotencyKeyRow {
  workspace_id: string
  route: string
  idempotency_key: string
  request_hash: string
  response: unknown
  created_at: string | Date
}

export interface LicenseRow {
  id: string
  /** The license's own id (its `jti`). */
  license_id: string
  customer: string
  plan: string
  expires_at: string | Date
  /** The signed license (compact JWS) as installed; never leaves the server. */
  document: string
  installed_at: string | Date
}

export interface UserRow {
  id: string
  /** Normalized: trimmed, lower case. */
  email: string
  display_name: string
  /** Self-describing password hash (e.g. `$scrypt$ln=17,r=8,p=1$salt$hash`); never leaves the server. */
  password_hash: string
  created_at: string | Date
  updated_at: string | Date
}

export interface MembershipRow {
  workspace_id: string
  user_id: string
  role: string
  created_at: string | Date
  updated_at: string | Date
}

export interface SessionRow {
  id: string
  /** sha256 hex of the cookie value; the value itself is never stored. */
  digest: string
  user_id: string
  created_at: string | Date
  last_seen_at: string | Date
  revoked_at: string | Date | null
}

export interface LoginThrottleRow {
  key: string
  failures: number
  window_started_at: string | Date
  locked_until: string | Date | null
}

export interface CommentRow {
  id: string
  workspace_id: string
  passport_id: string
  author_id: string
  body: string
  created_at: string | Date
  deleted_at: string | Date | null
}

export interface ConnectorRow {
  workspace_id: string
  source: string
  display_name: string | null
  expected_interval_seconds: number | null
  /** JSON array of environment names. */
  environments: string
  declared: number
  last_seen_at: string | Date | null
  last_batch_at: string | Date | null
  last_batch_outcome: string | null
  last_batch_detail: string | null
  rejected_total: number
  created_at: string | Date
  updated_at: string | Date
}

export interface ConnectorRejectionRow {
  workspace_id: string
  source: string
  code: string
  rejected_at: string | Date
}

export interface PolicyBundleRow {
  workspace_id: string
  /** `sha256:<hex>` of `bytes`. */
  digest: string
  revision: string
  size_bytes: number
  /** The bundle as uploaded (tar.gz), validated before it was stored. */
  bytes: Uint8Array
  /** `user:<id>` or `token:<id>`. */
  uploaded_by: string
  uploaded_at: string | Date
}

/** A workspace's current pointers; no row (or null) is the server's default bundle / no candidate. */
export interface PolicyPointerRow {
  workspace_id: string
  active_digest: string | null
  candidate_digest: string | null
  changed_at: string | Date
}

export interface PolicyChangeRow {
  id: string
  workspace_id: string
  kind: "active" | "candidate"
  from_digest: string | null
  to_digest: string | null
  changed_by: string
  changed_at: string | Date
}

export interface Tables {
  workspaces: WorkspaceRow
  api_tokens: ApiTokenRow
  passports: PassportRow
  gate_evaluations: GateEvaluationRow
  passport_stamps: PassportStampRow
  evidence: EvidenceRow
  idempotency_keys: IdempotencyKeyRow
  licenses: LicenseRow
  policy_bundles: PolicyBundleRow
  policy_pointers: PolicyPointerRow
  policy_changes: PolicyChangeRow
  comments: CommentRow
  connectors: ConnectorRow
  connector_rejections: ConnectorRejectionRow
  users: UserRow
  memberships: MembershipRow
  sessions: SessionRow
  login_throttles: LoginThrottleRow
}

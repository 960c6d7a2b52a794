/**
 * What a redaction removed. The kind is written into the output as `[REDACTED:<kind>]` and
 * reported beside the count, so it is stable API: add kinds, never rename them.
 */
export const secretKinds = [
  // Release Passport's own API tokens.
  "rp_token",
  // Source forges and package registries.
  "github_token",
  "gitlab_token",
  "npm_token",
  "docker_token",
  // Chat.
  "slack_token",
  "slack_webhook",
  // Clouds.
  "aws_access_key_id",
  "aws_secret_access_key",
  "gcp_service_account_key",
  "gcp_api_key",
  "cloudflare_api_key",
  "databricks_token",
  "hashicorp_vault_token",
  "tailscale_key",
  "vercel_token",
  // Payments.
  "stripe_key",
  "payment_provider_key",
  // Other SaaS keys that secretlint's recommended preset knows.
  "anthropic_api_key",
  "figma_token",
  "grafana_token",
  "groq_api_key",
  "huggingface_token",
  "linear_api_key",
  "notion_token",
  "onepassword_token",
  "openai_api_key",
  "sendgrid_api_key",
  "shopify_token",
  /** A token found by a secretlint rule that this table does not name yet (a newer preset). */
  "third_party_token",
  // Shapes rather than vendors.
  "jwt",
  "private_key",
  "kubeconfig_credential",
  "oidc_client_secret",
  "url_password",
  "authorization_header",
  "bearer_token",
  "cookie",
  "session",
  // Values found by the name they are stored under (`DB_PASSWORD=...`, `"apiKey": ...`).
  "password",
  "secret",
  "token",
  "api_key",
  "credential",
  // Not secrets found but content removed because it could not be inspected safely.
  /** A JSON container nested deeper than the sanitizer walks. */
  "depth_limit",
  /** A container that contains itself (impossible in parsed JSON). */
  "cycle"
] as const

export type SecretKind = (typeof secretKinds)[number]

/** The text that replaces a redacted value. */
export const redactionMarker = (kind: SecretKind): string => `[REDACTED:${kind}]`

const markerPrefix = "[REDACTED:"
const wholeMarker = /^\[REDACTED:[a-z0-9_]+\]$/

/** True when the text at `index` is already a redaction marker, so sanitizing twice changes nothing. */
export const startsWithMarker = (text: string, index = 0): boolean => text.startsWith(markerPrefix, index)

/** True when the whole value is a redaction marker. */
export const isMarker = (text: string): boolean => wholeMarker.test(text)

/**
 * Realistic fake secrets for every kind, and look-alikes that must survive.
 *
 * Every secret is assembled at run time from a seeded generator, so this file holds nothing a
 * secret scanner would take for a real credential (and no `rp_` token literal).
 */
import type { SecretKind } from "@releasepassport/core"
import { crc32 } from "node:zlib"

const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
const lower = "abcdefghijklmnopqrstuvwxyz"
const digits = "0123456789"
export const alnum = upper + lower + digits
const base64 = alnum + "+/"
const base64url = alnum + "-_"
const hexDigits = "0123456789abcdef"

let state = 0x2f6b1d3
/** Deterministic, so that a failure reproduces; varied, so that no two secrets share a long substring. */
export const fake = (length: number, alphabet = alnum): string => {
  let out = ""
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    out += alphabet[(state >>> 0) % alphabet.length]
  }
  return out
}
export const hex = (length: number) => fake(length, hexDigits)
export const fakeBase64 = (length: number) => fake(length, base64)
export const fakeBase64url = (length: number) => fake(length, base64url)
const fakeDigits = (length: number) => fake(length, digits)
const fakeUpper = (length: number) => fake(length, upper + digits)
const fakeLetters = (length: number) => fake(length, upper + lower)
/** Letters, digits and some punctuation, like a generated password. */
export const fakePassword = (length: number) => fake(length, alnum + "!%^*()-_.~")

const b64 = (text: string) => Buffer.from(text).toString("base64")
const b64url = (text: string) => Buffer.from(text).toString("base64url")

/** A PEM block with a plausible DER body (`MII...`), 64 characters a line. */
export const pem = (label: string, body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + fakeBase64(600)): string => {
  const lines = body.match(/.{1,64}/g) ?? []
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join("\n")
}

export const marker = (kind: SecretKind): string => `[REDACTED:${kind}]`

export interface Positive {
  readonly name: string
  /** The secrets, in the order `render` takes them, each with the kind it must be reported as. */
  readonly secrets: ReadonlyArray<readonly [SecretKind, string]>
  /** Builds the input from the secrets, and the expected output from their markers. */
  readonly render: (...values: Array<string>) => string
  /**
   * The expected output from the markers, when it is not `render` of them: a secret found only
   * once its text is decoded comes back in the decoded text.
   */
  readonly sanitized?: (...markers: Array<string>) => string
}

export const input = (p: Positive): string => p.render(...p.secrets.map(([, secret]) => secret))
export const expected = (p: Positive): string => (p.sanitized ?? p.render)(...p.secrets.map(([kind]) => marker(kind)))

const one = (name: string, kind: SecretKind, secret: string, render: (value: string) => string): Positive => ({
  name,
  secrets: [[kind, secret]],
  render: (value) => render(value ?? "")
})

const jwtHeader = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: hex(8) }))
const jwtPayload = b64url(JSON.stringify({ sub: "ci-bot", aud: "releasepassport", iat: 1767225600, jti: hex(16) }))
export const jwt = `${jwtHeader}.${jwtPayload}.${fakeBase64url(86)}`

/** 1Password service-account tokens are `ops_` + base64 of a JSON object, so the base64 must end in `fQ`. */
const onePasswordToken = (): string => {
  let json = JSON.stringify({
    email: `${fake(12, lower)}@1passwordserviceaccounts.example`,
    muk: { alg: "A256GCM", k: fakeBase64url(43), kty: "oct" },
    secretKey: `A3-${fakeUpper(6)}-${fakeUpper(6)}-${fakeUpper(5)}`,
    srpX: hex(64)
  })
  while (json.length % 3 !== 1) json = json.replace(/}$/, " }")
  return "ops_" + b64(json)
}

const awsSecret = () => {
  // A 40-character secret access key with both cases and a digit, as real ones have.
  const key = fakeBase64(37) + "a" + "Z" + "7"
  return key
}

const akid = "AKIA" + fakeUpper(16)
const csvSecret = awsSecret()
const rsaBody = "MIIEpAIBAAKCAQEA" + fakeBase64(700)
const gcpPem = pem("PRIVATE KEY").replace(/\n/g, "\\n") + "\\n"
const gcpKeyId = hex(40)

export const positives: ReadonlyArray<Positive> = [
  // Release Passport's own tokens.
  one("rp token in an environment line", "rp_token", "rp" + "_" + fake(52, alnum + "_"),
    (s) => `RELEASEPASSPORT_TOKEN=${s} releasepassport gate evaluate --mode enforce`),
  one("rp token as a bearer credential", "rp_token", "rp" + "_" + fake(44),
    (s) => `curl -H "Authorization: Bearer ${s}" https://rp.example.com/releasepassport/v1/gate/evaluate`),
  // Source forges and registries.
  one("GitHub classic token", "github_token", "ghp_" + fake(36), (s) => `git clone https://github.com/acme/app (token ${s})`),
  one("GitHub fine-grained token", "github_token", "github_pat_" + fake(82, alnum + "_"), (s) => `GH_TOKEN=${s}`),
  one("GitHub OAuth token as x-oauth-basic user", "github_token", hex(40),
    (s) => `remote: https://${s}:x-oauth-basic@github.com/acme/app.git`),
  one("GitLab personal access token", "gitlab_token", "glpat-" + fake(20, base64url), (s) => `PRIVATE-TOKEN ${s} used`),
  one("GitLab runner token", "gitlab_token", "glrt-" + fake(27, base64url), (s) => `registered runner with ${s}.`),
  one("npm access token", "npm_token", "npm_" + fake(36), (s) => `publishing with ${s}`),
  one("npmrc auth token", "npm_token", crypto.randomUUID(), (s) => `//registry.npmjs.org/:_authToken=${s}\nalways-auth=true`),
  one("Docker Hub token", "docker_token", "dckr_pat_" + fake(27, base64url), (s) => `docker login -u ci -p ${s}`),
  // Chat.
  one("Slack bot token", "slack_token", `xoxb-${fakeDigits(12)}-${fakeDigits(13)}-${fake(24)}`, (s) => `SLACK=${s}`),
  one("Slack refresh token", "slack_token", `xoxe-1-${fake(60)}`, (s) => `refresh with ${s} now`),
  one("Slack incoming webhook", "slack_webhook",
    `https://hooks.slack.com/services/T${fakeUpper(8)}/B${fakeUpper(10)}/${fake(24)}`,
    (s) => `notify: ${s} (deploys channel)`),
  // Clouds.
  one("AWS access key id", "aws_access_key_id", "AKIA" + fakeUpper(16), (s) => `aws_access_key_id = ${s}`),
  one("AWS secret access key, labelled", "aws_secret_access_key", awsSecret(),
    (s) => `[default]\naws_secret_access_key = ${s}\nregion = eu-west-1`),
  one("AWS secret in STS JSON text", "aws_secret_access_key", awsSecret(),
    (s) => `{"Credentials": {"SecretAccessKey": "${s}", "Expiration": "2026-01-01T00:00:00Z"}}`),
  {
    name: "AWS key pair in a credentials CSV",
    secrets: [["aws_access_key_id", akid], ["aws_secret_access_key", csvSecret]],
    render: (id = "", secret = "") => `User name,Access key ID,Secret access key\nci,${id},${secret}\n`
  },
  {
    name: "GCP service-account key file as text",
    secrets: [["gcp_service_account_key", gcpKeyId], ["gcp_service_account_key", gcpPem]],
    render: (id = "", key = "") =>
      `{"type": "service_account", "project_id": "acme-prod", "private_key_id": "${id}", ` +
      `"private_key": "${key}", "client_email": "deployer@acme-prod.iam.gserviceaccount.com"}`
  },
  one("GCP API key", "gcp_api_key", "AIza" + fake(35, base64url), (s) => `maps key=${s}&v=3`),
  one("Cloudflare API token", "cloudflare_api_key", "cfut_" + fake(40) + hex(8), (s) => `CF token: ${s}`),
  one("Databricks token", "databricks_token", "dapi" + hex(32), (s) => `databricks configure ${s}`),
  one("Vault service token", "hashicorp_vault_token", "hvs." + fake(95, base64url), (s) => `VAULT ${s}`),
  one("Tailscale auth key", "tailscale_key", `tskey-auth-${fake(12)}-${fake(30)}`, (s) => `tailscale up --authkey ${s}`),
  one("Vercel token", "vercel_token", "vcp_" + fake(40), (s) => `vercel deploy with ${s}`),
  // Payments.
  one("Stripe live secret key", "stripe_key", "sk_" + "live_" + fake(32), (s) => `charging with ${s}.`),
  one("Stripe restricted test key", "stripe_key", "rk_" + "test_" + fake(40), (s) => `key ${s}`),
  one("Stripe webhook secret", "stripe_key", "whsec_" + fake(32), (s) => `signing ${s}`),
  one("Braintree access token", "payment_provider_key",
    `access_token$production$${fake(16, lower + digits)}$${hex(32)}`, (s) => `gateway: ${s}`),
  one("PayPal access token", "payment_provider_key", "A21AA" + fake(90, base64url), (s) => `paypal ${s}`),
  one("Square OAuth secret", "payment_provider_key", "sq0csp-" + fake(43, base64url), (s) => `square ${s}`),
  one("Square access token", "payment_provider_key", "EAAA" + fake(60, base64url), (s) => `square ${s}`),
  one("Adyen API key", "payment_provider_key", `AQE${fakeBase64(70)}=-${fakeBase64(43)}=`, (s) => `adyen ${s}`),
  // Other SaaS keys of the preset.
  one("Anthropic key", "anthropic_api_key", "sk-ant-api03-" + fake(93, base64url) + "AA", (s) => `key ${s}`),
  one("OpenAI project key", "openai_api_key", "sk-proj-" + fake(74) + "T3BlbkFJ" + fake(74), (s) => `key ${s}`),
  one("Figma token", "figma_token", "figd_" + fake(40), (s) => `figma ${s}`),
  one("Grafana service-account token", "grafana_token", `glsa_${fake(32)}_${hex(8)}`, (s) => `grafana ${s}`),
  one("Groq key", "groq_api_key", "gsk_" + fake(52), (s) => `groq ${s}`),
  one("Hugging Face token", "huggingface_token", "hf_" + fakeLetters(34), (s) => `hf ${s}`),
  one("Linear key", "linear_api_key", "lin_api_" + fake(40), (s) => `linear ${s}`),
  one("Notion token", "notion_token", "ntn_" + fakeDigits(11) + fake(35), (s) => `notion ${s}`),
  one("1Password service-account token", "onepassword_token", onePasswordToken(), (s) => `OP_SERVICE_ACCOUNT_TOKEN ${s}`),
  one("SendGrid key", "sendgrid_api_key", `SG.${fake(22)}.${fake(43)}`, (s) => `sendgrid ${s}`),
  one("Shopify token", "shopify_token", "shpat_" + hex(32), (s) => `shopify ${s}`),
  // Shapes.
  one("JWT in a log line", "jwt", jwt, (s) => `id_token received: ${s} (expires in 300s)`),
  one("RSA private key", "private_key", pem("RSA PRIVATE KEY", rsaBody), (s) => `key file:\n${s}\nend of file`),
  one("encrypted PKCS#8 private key", "private_key", pem("ENCRYPTED PRIVATE KEY"), (s) => `${s}\n`),
  one("OpenSSH private key", "private_key", pem("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA" + fakeBase64(400)),
    (s) => `id_ed25519:\n${s}`),
  one("legacy encrypted RSA key with headers", "private_key",
    ["-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED", `DEK-Info: AES-128-CBC,${hex(32).toUpperCase()}`, "",
      ...(fakeBase64(320).match(/.{1,64}/g) ?? []), "-----END RSA PRIVATE KEY-----"].join("\n"),
    (s) => `${s}`),
  one("private key cut off by a 2 KiB summary", "private_key",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI" + fakeBase64(50), (s) => `step failed: ${s}`),
  {
    name: "kubeconfig user credentials",
    secrets: [
      ["kubeconfig_credential", fakeBase64(120) + "=="],
      ["kubeconfig_credential", fakeBase64(160) + "="],
      ["kubeconfig_credential", fake(48)]
    ],
    render: (cert = "", key = "", token = "") =>
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: prod",
        "users:",
        "- name: deployer",
        "  user:",
        `    client-certificate-data: ${cert}`,
        `    client-key-data: ${key}`,
        `    token: ${token}`,
        ""
      ].join("\n")
  },
  {
    name: "kubeconfig basic-auth password",
    secrets: [["kubeconfig_credential", fakePassword(20)]],
    render: (password = "") =>
      `kind: Config\nusers:\n- name: admin\n  user:\n    username: admin\n    password: ${password}\n`
  },
  one("OIDC client secret in a form body", "oidc_client_secret", fake(40),
    (s) => `grant_type=client_credentials&client_id=releasepassport&client_secret=${s}&scope=openid`),
  one("OIDC client secret in JSON text", "oidc_client_secret", fake(36), (s) => `{"client_id":"rp","client_secret":"${s}"}`),
  one("OIDC client secret in YAML", "oidc_client_secret", fake(32), (s) => `oidc:\n  clientSecret: ${s}\n  issuer: https://id.example.com`),
  one("password in a database URL", "url_password", fakePassword(18),
    (s) => `DATABASE_URL=postgres://app:${s}@db.internal:5432/releasepassport?sslmode=require`),
  one("password in a git remote", "url_password", fake(24), (s) => `fetching https://ci-bot:${s}@git.example.com/acme/app.git`),
  one("password without user", "url_password", fake(20), (s) => `redis://:${s}@cache.internal:6379/0`),
  one("password with an unescaped @", "url_password", `${fake(8)}@${fake(8)}`, (s) => `amqp://queue:${s}@mq.internal/vhost`),
  one("password with unescaped / + = (base64-like)", "url_password", `${fake(10)}/${fake(10)}+${fake(6)}=`,
    (s) => `mongodb+srv://svc:${s}@cluster0.example.net/app?retryWrites=true`),
  one("escaped quote inside a quoted password", "password", `${fake(6)}\\"${fake(6)}`, (s) => `{"password": "${s}", "user": "ci"}`),
  one("Authorization Bearer header", "authorization_header", fake(40, base64url), (s) => `> Authorization: Bearer ${s}\n> Accept: */*`),
  one("Authorization Basic header in curl", "authorization_header", b64(`ci:${fake(16)}`),
    (s) => `curl -H 'Authorization: Basic ${s}' https://registry.example.com`),
  one("Proxy-Authorization header", "authorization_header", fake(32), (s) => `Proxy-Authorization: ${s}`),
  one("Bearer credential outside a header", "bearer_token", fake(48, base64url), (s) => `retrying with Bearer ${s} after 401`),
  one("Cookie header", "cookie", `releasepassport_session=${fake(43, base64url)}; theme=dark`, (s) => `Cookie: ${s}\nHost: rp`),
  one("Set-Cookie header", "cookie", `sid=${fake(32)}; Path=/; HttpOnly; Secure`, (s) => `< Set-Cookie: ${s}`),
  one("session id assignment", "session", fake(32, lower + digits), (s) => `login ok, session_id=${s}, user=jane`),
  one("password assignment", "password", fakePassword(16), (s) => `export DB_PASSWORD=${s}`),
  one("quoted password with spaces", "password", `${fake(6)} ${fake(6)} ${fake(6)}`, (s) => `password: "${s}"`),
  one("password flag", "password", fakePassword(14), (s) => `mysql --user=ci --password=${s} -h db`),
  one("webhook secret", "secret", fake(40), (s) => `WEBHOOK_SECRET=${s}`),
  one("job token", "token", fake(20, base64url), (s) => `CI_JOB_TOKEN: ${s}`),
  one("access token in a query string", "token", fake(30), (s) => `GET /api/v4/projects?access_token=${s}&page=2`),
  one("API key header", "api_key", fake(32, hexDigits), (s) => `X-API-Key: ${s}`),
  one("API key in code", "api_key", fake(32), (s) => `const apiKey = "${s}"`),
  one("signing key by name", "private_key", hex(64), (s) => `SIGNING_PRIVATE_KEY=${s}`)
]

/** Look-alikes that no rule may touch. */
export const negatives: ReadonlyArray<string> = [
  `commit ${hex(40)} built in 42s`,
  `image ghcr.io/acme/app@sha256:${hex(64)}`,
  `release ${crypto.randomUUID()} evaluated`,
  "token: ",
  "token:\n  - name: none",
  "password:",
  `client_secret=&grant_type=client_credentials`,
  "https://example.com/releasepassport/v1/passports?cursor=abc&limit=50",
  "https://rp.example.com:8443/releasepassport/v1/gate/evaluate",
  "https://jane@example.com/acme/app.git",
  "postgres://app@db.internal:5432/releasepassport",
  "ssh://git@github.com:22/acme/app.git and git@github.com:acme/app.git",
  "mailto:security@example.com",
  "http://localhost:4873/@acme/pkg and https://registry.example.com:443/@scope%2fpkg/-/pkg-1.0.0.tgz",
  "https://example.com/users?email=jane@example.com",
  "Rotate the database password every 90 days; the password was not printed.",
  "Passwords and tokens are never logged.",
  "Bearer tokens are required for /gate/evaluate.",
  "Authorization header missing",
  "password: ${DB_PASSWORD}",
  "password: ********",
  "DB_PASSWORD=$DB_PASSWORD",
  "An Authorization: Bearer <token> header is required.",
  "Authorization: Bearer ${CI_TOKEN}",
  "https://user:password@git.example.com/acme/app.git",
  "  + password = (sensitive value)",
  'password: ""',
  `postgres://app:\${DB_PASSWORD}@db.internal/app`,
  "token_type: Bearer\nexpires_in: 3600\nmax_tokens: 4096",
  "secretName: db-credentials\npasswordPolicy: strict\ntokenCount: 3",
  "session: 3",
  b64("this is just a build log line, nothing secret in here"),
  "eyJhbGciOiJub25lIn0 is a JWT header, alone",
  "config.eyJ0eXBlIjoiY29uZmlnIn0.json",
  "task_list_reader, disk_test_fixture_helper and mask_live_preview_enabled",
  "sk_test_short",
  "pk_" + "live_" + fake(24),
  "rp_short and corp_" + fake(40),
  "npm_config_cache=/tmp/npm-cache",
  pem("CERTIFICATE", "MIIDdzCCAl+gAwIBAgIE" + fakeBase64(300)),
  pem("PUBLIC KEY", "MIIBIjANBgkqhkiG9w0BAQEFAAOC" + fakeBase64(300)),
  "AIzaShort and xoxb- alone",
  "AWS account 123456789012 in eu-west-1",
  "v1.2.3-rc.1+build.5",
  "[REDACTED:github_token] was already redacted"
]

// ---------------------------------------------------------------------------------------------
// Bypasses found by attacking a running server: each got through once and was stored raw.
// ---------------------------------------------------------------------------------------------

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const base62 = (value: number, width: number): string => {
  let out = ""
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = base62Alphabet[rest % 62] + out
  return out.padStart(width, "0")
}

/**
 * A well-formed Release Passport API token: `rp_` + 43 base62 characters + the base62 CRC-32 of
 * those 43 (6 characters), as the server issues them. Built here with Node's CRC-32, not the
 * sanitizer's, so that the two are checked against each other.
 */
export const rpToken = (): string => {
  const body = fake(43)
  return "rp" + "_" + body + base62(crc32(body), 6)
}

/** Percent-encoding of every character that `encodeURIComponent` leaves alone too, but letters and digits. */
const percentAll = (text: string): string => encodeURIComponent(text).replace(/[!'()*._~-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** Text that spells its first letter as a `\uXXXX` escape, as JSON and JavaScript source may. */
const firstLetterEscaped = (text: string): string =>
  `\\u${text.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}${text.slice(1)}`

export const bypasses: ReadonlyArray<Positive> = [
  // A known token glued to word characters: a word boundary before or after it no longer holds.
  one("rp token after `ci_`", "rp_token", rpToken(), (s) => `pushed with ci_${s} to the gate`),
  one("rp token after a letter", "rp_token", rpToken(), (s) => `see x${s} in the job log`),
  one("rp token glued inside a URL", "rp_token", rpToken(), (s) => `https://rp.example.com/hook?k=x${s}&run=7`),
  one("rp token glued inside a comment", "rp_token", rpToken(), (s) => `// TODO remove tok${s} before merging`),
  one("AWS key id with a suffix", "aws_access_key_id", "AKIA" + fakeUpper(16), (s) => `aws key ${s}_prod rotated`),
  one("AWS key id after a prefix", "aws_access_key_id", "AKIA" + fakeUpper(16), (s) => `aws_key_id_${s} in use`),
  one("GitHub token after a letter", "github_token", "ghp_" + fake(36), (s) => `cloned with x${s} (ok)`),
  one("Stripe key after a letter", "stripe_key", "sk_" + "live_" + fake(32), (s) => `charging with x${s} now`),
  one("Slack token after `id_`", "slack_token", `xoxb-${fakeDigits(12)}-${fakeDigits(13)}-${fake(24)}`, (s) => `bot id_${s} posted`),
  one("GitHub token glued in a URL", "github_token", "ghp_" + fake(36), (s) => `https://ci.example.com/?t=tok${s}`),
  // Names the `name = value` rule did not know.
  one("`pwd` name", "password", fakePassword(16), (s) => `MYSQL_PWD=${s} mysql -h db`),
  one("`db_pass` name", "password", fakePassword(16), (s) => `DB_PASS=${s}`),
  one("name and value separated by a space", "aws_secret_access_key", awsSecret(), (s) => `AWS_SECRET_ACCESS_KEY ${s}`),
  one("long flag and value separated by a space", "password", fakePassword(12), (s) => `helm repo add acme https://charts.example.com --password ${s} --username ci`),
  one("docker login -p", "password", fakePassword(20), (s) => `docker login -u ci -p ${s} registry.example.com`),
  one("curl -u user:password", "password", fakePassword(18), (s) => `curl -sf -u ci:${s} https://artifacts.example.com/upload`),
  // What a URL parser reads differently from the text.
  one("URL password with a tab", "url_password", `${fake(8)}\t${fake(8)}`, (s) => `postgres://app:${s}@db.internal:5432/app`),
  one("URL password with a newline", "url_password", `${fake(8)}\n${fake(8)}`, (s) => `https://ci-bot:${s}@git.example.com/acme/app.git`),
  // Encodings.
  {
    name: "double percent-encoding",
    secrets: [["password", fake(20)]],
    render: (s = "") => `https://ci.example.com/run?note=${encodeURIComponent(percentAll(`DB_PASSWORD=${s}`))}`,
    sanitized: (m = "") => `https://ci.example.com/run?note=DB_PASSWORD=${m}`
  },
  one("base64 of a private key", "private_key", b64(pem("PRIVATE KEY") + "\n"), (s) => `tls.key: ${s}\ntls.crt: none`),
  {
    name: "\\u escape inside a string",
    secrets: [["aws_access_key_id", "AKIA" + fakeUpper(16)]],
    render: (s = "") => `{"aws": {"key": "${s.startsWith("[") ? s : firstLetterEscaped(s)}"}}`,
    sanitized: (m = "") => `{"aws": {"key": "${m}"}}`
  }
]

export interface JsonBypass {
  readonly name: string
  readonly input: unknown
  readonly expected: unknown
  /** Values that must not survive anywhere in the output. */
  readonly secrets: ReadonlyArray<string>
}

const jsonSecret = fakePassword(18)
const jsonSecret2 = fakePassword(18)
const jsonSecret3 = fake(40)
const jsonSecret4 = fakePassword(18)
const jsonSecret5 = fakePassword(14)
const jsonSecret6 = fakePassword(14)

export const jsonBypasses: ReadonlyArray<JsonBypass> = [
  {
    name: "a secret one level below a sensitive name",
    input: { password: { value: jsonSecret } },
    expected: { password: { value: marker("password") } },
    secrets: [jsonSecret]
  },
  {
    name: "a secret in an array of objects below a sensitive name",
    input: { password: [{ v: jsonSecret2 }] },
    expected: { password: [{ v: marker("password") }] },
    secrets: [jsonSecret2]
  },
  {
    name: "an OIDC client secret one level down",
    input: { client_secret: { value: jsonSecret3 } },
    expected: { client_secret: { value: marker("oidc_client_secret") } },
    secrets: [jsonSecret3]
  },
  {
    name: "a Kubernetes env list entry",
    input: { env: [{ name: "LOG_LEVEL", value: "debug" }, { name: "DB_PASSWORD", value: jsonSecret4 }] },
    expected: { env: [{ name: "LOG_LEVEL", value: "debug" }, { name: "DB_PASSWORD", value: marker("password") }] },
    secrets: [jsonSecret4]
  },
  {
    name: "`pwd` and `db_pass` keys",
    input: { pwd: jsonSecret5, db_pass: jsonSecret6 },
    expected: { pwd: marker("password"), db_pass: marker("password") },
    secrets: [jsonSecret5, jsonSecret6]
  }
]

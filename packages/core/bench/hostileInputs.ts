/**
 * The worst inputs we know for each family of redaction rules: text built so that a rule starts
 * a match at many places and each attempt reads far before it fails. Shared by the benchmark
 * (`npm run bench:redaction`) and the linear-time test, so that both look at the same inputs.
 *
 * Each family builds a text of about `size` UTF-16 code units.
 */

/** `unit` repeated until the text is `size` long (the last repetition cut). */
const fill = (unit: string, size: number): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

/** `head`, then `unit` repeated to `size`. */
const after = (head: string, unit: string, size: number): string => head + fill(unit, Math.max(0, size - head.length))

export interface HostileInput {
  /** The rule family it attacks. */
  readonly family: string
  readonly name: string
  readonly build: (size: number) => string
}

export const hostileInputs: ReadonlyArray<HostileInput> = [
  // URL passwords: every `://` starts an attempt that looks for `@host` far ahead.
  { family: "url_password", name: "URL prefixes without @", build: (n) => fill("://a:", n) },
  { family: "url_password", name: "URL prefixes with @ but no host", build: (n) => fill("://a:@", n) },
  { family: "url_password", name: "a URL password without end", build: (n) => after("x://u:", "p", n) },
  { family: "url_password", name: "a URL password of @s", build: (n) => after("x://u:", "a@", n) },
  { family: "url_password", name: "URL prefixes, tab-separated", build: (n) => fill("://a:\t", n) },
  // PEM private keys.
  { family: "private_key", name: "an unterminated private key", build: (n) => after("-----BEGIN PRIVATE KEY-----\n", "QUJD", n) },
  { family: "private_key", name: "repeated BEGIN markers", build: (n) => fill("-----BEGIN PRIVATE KEY-----", n) },
  { family: "private_key", name: "BEGIN markers with bodies", build: (n) => fill("-----BEGIN RSA PRIVATE KEY-----\n" + "A".repeat(200), n) },
  { family: "private_key", name: "base64 PEM prefixes", build: (n) => fill("LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t ", n) },
  // Tokens with a prefix and a body.
  { family: "token", name: "one long word", build: (n) => fill("a", n) },
  { family: "token", name: "one long upper-case word", build: (n) => fill("A", n) },
  { family: "token", name: "JWT headers without dots", build: (n) => fill("eyJ", n) },
  { family: "token", name: "JWT headers with one dot", build: (n) => fill("eyJhbGciOiJIUzI1.", n) },
  { family: "token", name: "Slack-like dashes", build: (n) => after("xoxb-", "1-", n) },
  { family: "token", name: "glued token prefixes", build: (n) => fill("xghp_rp_sk_live_xoxb-AKIA", n) },
  { family: "token", name: "rp_ prefixes with almost a token", build: (n) => fill("rp_" + "a1".repeat(24), n) },
  { family: "token", name: "GitHub app token shapes", build: (n) => fill("ghs_1_", n) },
  { family: "token", name: "SendGrid shapes", build: (n) => fill("SG.a." + "b".repeat(250) + " ", n) },
  { family: "token", name: "AWS key ids with almost a secret", build: (n) => fill("AKIAABCDEFGHIJKLMNOP " + "a".repeat(39) + " ", n) },
  { family: "token", name: "x-oauth-basic prefixes", build: (n) => fill("http://", n) },
  // `name = value` and headers.
  { family: "name_value", name: "names without values", build: (n) => after("password:", " ", n - 1) + "\n" },
  { family: "name_value", name: "names without connectors", build: (n) => fill("token", n) },
  { family: "name_value", name: "names with spaces", build: (n) => fill("password ", n) },
  { family: "name_value", name: "open quotes", build: (n) => fill('"password": "', n) },
  { family: "name_value", name: "unterminated quoted value", build: (n) => after('password="', "a ", n) },
  { family: "name_value", name: "headers without values", build: (n) => fill("Authorization: ", n) },
  { family: "name_value", name: "trailing blanks after a header", build: (n) => after("Cookie: a", " ", n - 1) + "x" },
  { family: "name_value", name: "Bearer without credential", build: (n) => fill("Bearer ", n) },
  { family: "name_value", name: "login commands without password", build: (n) => fill("docker login -u ci ", n) },
  { family: "name_value", name: "curl without user", build: (n) => fill("curl -u ", n) },
  // Decoding layers.
  { family: "encoding", name: "percent escapes", build: (n) => fill("%41", n) },
  { family: "encoding", name: "nested percent escapes", build: (n) => fill("%2525252541", n) },
  { family: "encoding", name: "invalid UTF-8 percent escapes", build: (n) => fill("%C3", n) },
  { family: "encoding", name: "unicode escapes", build: (n) => fill("\\u0041", n) },
  { family: "encoding", name: "base64 of hostile text", build: (n) => fill(btoa("://a:".repeat(30)), n) },
  { family: "encoding", name: "base64 runs of binary", build: (n) => fill("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", n) }
]

/** A harmless text of the same size: what evidence summaries and logs usually look like. */
export const benignText = (size: number): string =>
  fill(
    "2026-11-28T12:00:00Z INFO checkout-api: deployed 3f1a9c0e to production in 42s; " +
      "tests 1243 passed, 0 failed; see https://ci.example.com/runs/4711 for details.\n",
    size
  )

/**
 * Many short strings in one JSON document: the per-string cost of the sanitizer, which a body
 * of tiny values multiplies.
 */
export const hostileDocuments: ReadonlyArray<{ readonly name: string; readonly build: (size: number) => unknown }> = [
  { name: "many tiny percent-encoded strings", build: (n) => Array.from({ length: Math.floor(n / 6) }, () => "%41") },
  { name: "many tiny escaped strings", build: (n) => Array.from({ length: Math.floor(n / 9) }, () => "\\u0041") },
  {
    name: "many long keys",
    build: (n) => Object.fromEntries(Array.from({ length: Math.floor(n / 16) }, (_, i) => [`key_${String(i).padStart(8, "0")}`, 1]))
  },
  {
    name: "env lists",
    build: (n) => Array.from({ length: Math.floor(n / 40) }, (_, i) => ({ name: `VAR_${i}`, value: "x" }))
  }
]

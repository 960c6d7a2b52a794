/**
 * Every redaction rule, in one place.
 *
 * 1. `secretlintRuleUses`: which rules of secretlint's recommended preset
 *    (`@secretlint/secretlint-rule-preset-recommend`) run, with which options, and which kind each
 *    of their reports becomes. The rules themselves are imported, not copied, and run synchronously
 *    (see `secretlint.ts`).
 * 2. `patternRules`: what the preset lacks (our own `rp_` tokens, JWTs, OIDC client secrets,
 *    kubeconfigs, payment providers, passwords in URLs, Authorization headers, command-line
 *    credentials, ...) and the preset reports whose ranges do not delimit the secret exactly enough
 *    to redact. First among them the `prefixedTokens` table: tokens known by their prefix, found
 *    wherever they start (also glued to other word characters).
 * 3. `sensitiveNames`: names whose values are secret whatever they look like. `sanitizeJson`
 *    applies them to object keys (and what lies below them); the `name = value` and `--flag value`
 *    rules apply them to text.
 *
 * Every rule must run in time linear in the text (see test/redaction/linearTime.test.ts): a pattern
 * may not reread a long stretch at every place it starts, nor start with a lookbehind; where no
 * expression can be linear, a rule is a hand-written scan (`ScanRule`).
 *
 * Where findings overlap, the one that starts first wins, then the longer one, then the one
 * listed first (the preset's findings come before `patternRules`); the redaction covers the union.
 * Decoded forms of the text (percent-encoding, `\u` escapes, base64) are scanned too, see
 * `decodings.ts`.
 */
import type { SecretKind } from "./SecretKind.ts"
import { hasRpTokenChecksum } from "./tokenChecksums.ts"
import { findUrlPasswords } from "./urlPasswords.ts"

// ---------------------------------------------------------------------------------------------
// 1. secretlint's recommended preset
// ---------------------------------------------------------------------------------------------

export interface SecretlintRuleUse {
  /** The kind of every report of the rule unless `reports` says otherwise. */
  readonly kind: SecretKind
  /** Options handed to the rule's `create`. */
  readonly options?: Readonly<Record<string, unknown>>
  /** Per message id: another kind, or why the report is not used (some other rule covers it). */
  readonly reports?: Readonly<Record<string, SecretKind | { readonly ignore: string }>>
}

export interface SecretlintRuleSkip {
  /** Why the rule does not run at all. */
  readonly skip: string
}

const prefix = "@secretlint/secretlint-rule-"

/**
 * Keyed by secretlint rule id. A preset rule missing here still runs and reports
 * `third_party_token` (a test lists such rules, so that an upgrade is looked at).
 */
export const secretlintRuleUses: Readonly<Record<string, SecretlintRuleUse | SecretlintRuleSkip>> = {
  [`${prefix}privatekey`]: { kind: "private_key" },
  [`${prefix}npm`]: {
    skip: "its x-oauth-basic pattern reads up to 256 characters ahead at every `http://` (64 KiB of them cost " +
      "4 ms), its `_authToken` range starts at the label, and its token pattern needs a boundary before `npm_`: " +
      "the npmrc and x-oauth-basic rules and the prefixed-token table below cover all three"
  },
  [`${prefix}slack`]: { kind: "slack_token", reports: { SLACK_TOKEN: "slack_token", IncomingWebhook: "slack_webhook" } },
  [`${prefix}sendgrid`]: { kind: "sendgrid_api_key" },
  [`${prefix}shopify`]: { kind: "shopify_token" },
  [`${prefix}stripe`]: { kind: "stripe_key" },
  [`${prefix}github`]: {
    skip: "its app-installation pattern reads up to 1 000 characters ahead at every `ghs_<digits>_` (64 KiB of " +
      "them cost 25 ms: super-linear in practice), and its patterns need a boundary before the prefix: the " +
      "prefixed-token table below covers classic, fine-grained and installation tokens, glued or not"
  },
  [`${prefix}gitlab`]: { kind: "gitlab_token" },
  [`${prefix}grafana`]: { kind: "grafana_token" },
  [`${prefix}openai`]: { kind: "openai_api_key" },
  [`${prefix}anthropic`]: { kind: "anthropic_api_key" },
  [`${prefix}groq`]: { kind: "groq_api_key" },
  [`${prefix}huggingface`]: { kind: "huggingface_token" },
  [`${prefix}linear`]: { kind: "linear_api_key" },
  [`${prefix}notion`]: { kind: "notion_token" },
  [`${prefix}1password`]: { kind: "onepassword_token" },
  [`${prefix}hashicorp-vault`]: { kind: "hashicorp_vault_token" },
  [`${prefix}vercel`]: { kind: "vercel_token" },
  [`${prefix}databricks`]: { kind: "databricks_token" },
  [`${prefix}docker`]: { kind: "docker_token" },
  [`${prefix}figma`]: { kind: "figma_token" },
  [`${prefix}cloudflare`]: { kind: "cloudflare_api_key" },
  [`${prefix}tailscale`]: { kind: "tailscale_key" },
  [`${prefix}aws`]: {
    skip: "its secret-key report starts at the label and ends inside the key (redacting it would leave part " +
      "of the key), its account-id report is no credential, and its three scans took a third of the preset's " +
      "time (24 of 76 µs per 2 KiB): the aws_access_key_id and aws_secret_access_key rules below cover it"
  },
  [`${prefix}gcp`]: {
    skip: "it JSON.parses the whole input, only for `.json`/`.p12` file names, and reports the whole " +
      "file (asynchronously for .p12): the service-account rules below and in sanitizeJson cover it"
  },
  [`${prefix}basicauth`]: {
    skip: "it reports the whole URL; we keep the user and host and redact only the password (url_password below)"
  },
  [`${prefix}database-connection-string`]: {
    skip: "it reports the whole connection string; url_password below redacts only the password"
  },
  [`${prefix}filter-comments`]: {
    skip: "it honours `secretlint-disable` comments, which would let evidence switch its own redaction off"
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Sensitive names (before 2, which builds its last rule from them)
// ---------------------------------------------------------------------------------------------

export interface SensitiveName {
  /** Words of the name; in keys they may be joined by nothing, `_`, `-`, `.` or a space. */
  readonly words: ReadonlyArray<string>
  readonly kind: SecretKind
  /**
   * `suffix`: any name ending with the words (`DB_PASSWORD`, `githubToken`); `exact`: only the name
   * itself; `last-word`: a name whose last word it is, after at least one other (`DB_PASS`, `dbPass`,
   * not `bypass`, nor `pass`, which test reports use for a count).
   */
  readonly match: "suffix" | "exact" | "last-word"
  /** Whether the `name = value` text rule uses the name (some names have richer rules, or are too common in prose). */
  readonly inText: boolean
}

export const sensitiveNames: ReadonlyArray<SensitiveName> = [
  { words: ["client", "secret"], kind: "oidc_client_secret", match: "suffix", inText: true },
  { words: ["secret", "access", "key"], kind: "aws_secret_access_key", match: "suffix", inText: true },
  { words: ["client", "key", "data"], kind: "kubeconfig_credential", match: "suffix", inText: true },
  { words: ["client", "certificate", "data"], kind: "kubeconfig_credential", match: "suffix", inText: true },
  { words: ["private", "key"], kind: "private_key", match: "suffix", inText: true },
  { words: ["api", "key"], kind: "api_key", match: "suffix", inText: true },
  { words: ["secret", "key"], kind: "secret", match: "suffix", inText: true },
  { words: ["signing", "key"], kind: "secret", match: "suffix", inText: true },
  { words: ["encryption", "key"], kind: "secret", match: "suffix", inText: true },
  { words: ["password"], kind: "password", match: "suffix", inText: true },
  { words: ["passwd"], kind: "password", match: "suffix", inText: true },
  { words: ["passphrase"], kind: "password", match: "suffix", inText: true },
  // `MYSQL_PWD`, `PGPASSWORD`'s cousins. (The shell's `PWD` is a directory; redacting it costs little.)
  { words: ["pwd"], kind: "password", match: "suffix", inText: true },
  { words: ["pass"], kind: "password", match: "last-word", inText: true },
  { words: ["secret"], kind: "secret", match: "suffix", inText: true },
  { words: ["token"], kind: "token", match: "suffix", inText: true },
  { words: ["session", "id"], kind: "session", match: "suffix", inText: true },
  { words: ["session"], kind: "session", match: "exact", inText: true },
  // Header values have their own text rules below, which keep the scheme.
  { words: ["authorization"], kind: "authorization_header", match: "suffix", inText: false },
  { words: ["cookie"], kind: "cookie", match: "suffix", inText: false },
  // Too common in prose and configuration as plain words; as JSON keys they hold credentials
  // (`.docker/config.json` `auth`, `credentials` strings).
  { words: ["auth"], kind: "credential", match: "exact", inText: false },
  { words: ["credential"], kind: "credential", match: "exact", inText: false },
  { words: ["credentials"], kind: "credential", match: "exact", inText: false }
]

const byLongestName = [...sensitiveNames].sort((a, b) => b.words.join("").length - a.words.join("").length)

/** `DB-Password` → `dbpassword`: how keys are compared with `sensitiveNames`. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, "")

/** `dbPass`, `DB_PASS`, `db-pass` → `["db", "pass"]`. */
const wordsOf = (name: string): Array<string> =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== "")

const nameMatches = (entry: SensitiveName, name: string, normalized: string): boolean => {
  const word = entry.words.join("")
  switch (entry.match) {
    case "exact":
      return normalized === word
    case "suffix":
      return normalized.endsWith(word)
    case "last-word": {
      const words = wordsOf(name)
      return words.length > entry.words.length && words.slice(-entry.words.length).join("") === word
    }
  }
}

/** The kind of secret stored under a key or name, if the name says it is one. */
export const sensitiveNameKind = (name: string): SecretKind | undefined => {
  const normalized = normalizeName(name)
  for (const entry of byLongestName) if (nameMatches(entry, name, normalized)) return entry.kind
  return undefined
}

/**
 * The kind of a name found by a text rule. The rule's pattern already placed the boundaries
 * (`(?<=db_)pass`), so only the words are compared.
 */
const textNameKinds = new Map<string, SecretKind>()
const textNameKind = (name: string): SecretKind => {
  let kind = textNameKinds.get(name)
  if (kind === undefined) {
    const normalized = normalizeName(name)
    kind = byLongestName.find((entry) => entry.inText && normalized.endsWith(entry.words.join("")))?.kind ?? "secret"
    if (textNameKinds.size > 1_000) textNameKinds.clear()
    textNameKinds.set(name, kind)
  }
  return kind
}

/**
 * Keys that describe a secret rather than hold it. Below a sensitive name every value is secret
 * (`{"password": {"value": ...}}`) except under these (`{"secret": {"name": "db-credentials"}}`).
 */
const describingNames = new Set([
  "name", "username", "user", "login", "email", "id", "type", "kind", "description", "label", "issuer", "url",
  "uri", "host", "hostname", "port", "scheme", "algorithm", "alg", "scope", "scopes", "format", "encoding",
  "version", "expires", "expiresat", "expiresin", "expiry", "expiration", "created", "createdat", "updatedat",
  // Public halves of a credential and settings around it.
  "clientid", "audience", "region", "provider", "method", "mode", "enabled"
].map(normalizeName))

export const isDescribingName = (name: string): boolean => describingNames.has(normalizeName(name))

/**
 * Fields that name the entry of a name/value list: Kubernetes `env` (`name`/`value`), CloudFormation
 * parameters (`ParameterKey`/`ParameterValue`), many CI variable APIs (`key`/`value`). When such a field
 * holds a sensitive name, the entry's other values are secret as if stored under that name.
 */
const entryNameFields = new Set(["name", "key", "variable", "parameterkey", "parametername", "optionname", "settingname"])

export const isEntryNameField = (name: string): boolean => entryNameFields.has(normalizeName(name))

// ---------------------------------------------------------------------------------------------
// 2. Our own pattern rules
// ---------------------------------------------------------------------------------------------

/** Text-wide conditions that some rules need before a bare `token:` or `"private_key"` means a secret. */
export type TextContext = "kubeconfig" | "gcp_service_account"

export const textContexts: Readonly<Record<TextContext, RegExp>> = {
  kubeconfig:
    /\b(?:current-context|certificate-authority-data|client-key-data|client-certificate-data)\b|^kind:[ \t]*Config\b/m,
  gcp_service_account: /"type"\s*:\s*"service_account"/
}

/** A rule that is a hand-written linear scan, where no regular expression can be linear. */
export interface ScanRule {
  readonly kind: SecretKind
  readonly scan: (text: string) => ReadonlyArray<{ readonly start: number; readonly end: number }>
  /** A last look at the secret (placeholders, look-alikes); a rejected match redacts nothing. */
  readonly accept?: (secret: string) => boolean
  readonly note: string
}

export interface PatternRule {
  readonly kind: SecretKind
  /** Global (`g`); with `d` when `redact` is `secret-group`. */
  readonly pattern: RegExp
  /**
   * `match`: the whole match is the secret. `secret-group`: only the named group `secret`,
   * `secret2`, `secret3` or `secret4` (whichever took part), so labels, schemes, users and hosts stay.
   */
  readonly redact: "match" | "secret-group"
  /** The kind per match, when the match says more than `kind`. */
  readonly kindOf?: (match: RegExpExecArray) => SecretKind
  /** A last look at the secret (placeholders, look-alikes); a rejected match redacts nothing. */
  readonly accept?: (secret: string, match: RegExpExecArray) => boolean
  /**
   * What every match contains, tested once per text (and once for all rules that share it): when
   * it is absent the pattern is not run (most texts hold no token prefix, and 35 scans of nothing
   * still cost). Not global.
   */
  readonly gate?: RegExp
  /** Only scanned when the whole text looks like this. */
  readonly when?: TextContext
  /** What the rule adds to the preset. */
  readonly note: string
}

/** `<password>`, `***`, `null`, ...: values that name or hide a secret rather than hold one. */
const placeholder =
  /^(?:<[^<>]*>|\*+|x{3,}|\.{3}|…|null|nil|none|undefined|true|false|redacted|masked|hidden|password|passwd|secret|token|user|username|\[REDACTED:.*)$/i

/**
 * `${VAR}`, `$(cmd)`, `{{ var }}`, `$VAR`, `%VAR%`: a template refers to a secret kept elsewhere;
 * Terraform prints `(sensitive value)` in its place.
 */
const template = /^(?:\$\{|\$\(|\{\{|\$[A-Za-z_][A-Za-z0-9_]*$|%[A-Za-z_][A-Za-z0-9_]*%$|\(sensitive)/

const isSecretValue = (value: string): boolean =>
  /[A-Za-z0-9]/.test(value) && !placeholder.test(value) && !template.test(value) && !/^\d{1,3}$/.test(value)

/** For values that run to the end of the line: judge the first word. */
const firstWordIsSecret = (value: string): boolean => isSecretValue(value.split(/[ \t]/, 1)[0] ?? "")

/**
 * A value after `name:` / `name=`: double-quoted or single-quoted (with backslash escapes), or bare
 * (up to whitespace, a quote, a backslash, `&`, `,` or `;`; this also takes `\"`-quoted values of
 * JSON inside JSON strings).
 */
const value =
  String.raw`(?:"(?<secret>(?:[^"\\\r\n]|\\.)*)"|'(?<secret2>(?:[^'\\\r\n]|\\.)*)'|\\?["']?(?<secret3>[^\s"'\\&,;]+))`

/** A bare value after a space instead of `=` or `:`; judged by `looksLikeCredential`. */
const spacedValue = String.raw`[ \t]+(?<secret4>[A-Za-z0-9+/=_.~!@#$%^*-]{16,})`

/** The `name` part of the `name = value` rule, longest names first so the most specific kind wins. */
const nameAlternation = byLongestName
  .filter((entry) => entry.inText)
  .map((entry) => {
    const words = entry.words.join(String.raw`[_.\- ]?`)
    switch (entry.match) {
      case "exact":
        return String.raw`(?<![A-Za-z0-9_.\-])` + words
      // The boundary before a last word is checked by `nameInPlace`: a lookbehind in this
      // alternation made the whole rule eleven times slower.
      case "last-word":
      case "suffix":
        return words
    }
  })
  .join("|")

const lastWordNames = new Set(sensitiveNames.filter((entry) => entry.match === "last-word").map((entry) => entry.words.join("")))

/** A last-word name (`pass`) found by a text rule must follow another word and a separator (`DB_PASS`). */
const nameInPlace = (match: RegExpExecArray): boolean => {
  const name = match.groups?.["name"]
  const at = match.indices?.groups?.["name"]?.[0]
  if (name === undefined || at === undefined || !lastWordNames.has(normalizeName(name))) return true
  return at >= 2 && /[A-Za-z0-9]/.test(match.input[at - 2]!) && /[_.-]/.test(match.input[at - 1]!)
}

/** Until the end of the line, a quote or a backslash, without trailing blanks. */
const restOfLine = String.raw`(?<secret>[^\s"'\\](?:[^\r\n"'\\]*[^\s"'\\])?)`

const hasMixedCase = (s: string): boolean => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9+/]/.test(s)

/**
 * At least two of lower case, upper case and digits: what random token bodies have and snake_case
 * identifiers (`sighs_when_the_checkout_page_renders`) do not.
 */
const looksRandom = (s: string): boolean => (/[a-z]/.test(s) ? 1 : 0) + (/[A-Z]/.test(s) ? 1 : 0) + (/[0-9]/.test(s) ? 1 : 0) >= 2

/** A bare value that is a credential by its shape alone, when no `=` or `:` says it is a value. */
const looksLikeCredential = (value: string): boolean => value.length >= 16 && looksRandom(value) && isSecretValue(value)

/**
 * A scan for flags that mean a credential only after some command (`-p` after `docker login`,
 * `-u user:password` after `curl`): the rest of each line that holds the command is searched for
 * `flag` once, however often the command or the flag repeats. (A lookbehind for the command at
 * every flag reread up to a few hundred characters each time.) `flag` is global with `d`, and
 * names the value `secret`, `secret2` or `secret3`.
 */
const flagsAfterCommand = (command: RegExp, flag: RegExp) => (text: string): Array<{ start: number; end: number }> => {
  const found: Array<{ start: number; end: number }> = []
  // A copy, so that no other scan shares its lastIndex; it jumps to the next line after each command.
  const commands = new RegExp(command.source, command.flags)
  let match: RegExpExecArray | null
  while ((match = commands.exec(text)) !== null) {
    const from = match.index + match[0].length
    let to = from
    while (to < text.length && text.charCodeAt(to) !== 10 && text.charCodeAt(to) !== 13) to++
    commands.lastIndex = to
    for (const flagMatch of text.slice(from, to).matchAll(flag)) {
      const groups = flagMatch.indices?.groups
      const range = groups?.["secret"] ?? groups?.["secret2"] ?? groups?.["secret3"]
      if (range !== undefined && range[1] > range[0]) found.push({ start: from + range[0], end: from + range[1] })
    }
  }
  return found
}

// ---------------------------------------------------------------------------------------------
// 2a. Tokens known by their prefix, wherever they sit
// ---------------------------------------------------------------------------------------------

/**
 * A token recognised by its prefix and body alone. The preset's rules (and regular expressions
 * with `\b`) want a boundary before the prefix, so `ci_rp_...`, `xghp_...` or `id_xoxb-...` got
 * through; these are matched wherever they start. To stay linear, a pattern is the prefix and one
 * bounded character class with nothing required after it, so a failed attempt reads at most
 * `min` characters. Without a boundary, short or word-like prefixes need a body that looks random
 * (`check: "random"`) or carries a checksum.
 */
export interface PrefixedToken {
  readonly kind: SecretKind
  /** Regular-expression source of the prefix. */
  readonly prefix: string
  /** Regular-expression character class of the body. */
  readonly body: string
  readonly min: number
  readonly max: number
  readonly check?: "random" | "rp_checksum"
}

export const prefixedTokens: ReadonlyArray<PrefixedToken> = [
  { kind: "rp_token", prefix: "rp_", body: "[0-9A-Za-z]", min: 49, max: 49, check: "rp_checksum" },
  { kind: "github_token", prefix: "gh[pousr]_", body: "[A-Za-z0-9_]", min: 36, max: 255, check: "random" },
  { kind: "github_token", prefix: "github_pat_", body: "[A-Za-z0-9_]", min: 82, max: 255 },
  { kind: "github_token", prefix: "ghs_[0-9]{1,20}_", body: "[A-Za-z0-9_.-]", min: 20, max: 12_000, check: "random" },
  { kind: "gitlab_token", prefix: "glpat-", body: "[A-Za-z0-9_-]", min: 20, max: 255, check: "random" },
  { kind: "gitlab_token", prefix: "gl(?:agent|cbt|dt|ft|imt|oas|ptt|rt|soat|wt)-", body: "[A-Za-z0-9_-]", min: 20, max: 255, check: "random" },
  { kind: "npm_token", prefix: "npm_", body: "[A-Za-z0-9]", min: 36, max: 36, check: "random" },
  { kind: "docker_token", prefix: "dckr_(?:pat|oat)_", body: "[A-Za-z0-9_-]", min: 20, max: 255, check: "random" },
  { kind: "slack_token", prefix: String.raw`xox[a-z](?:\.xox[a-z])?-`, body: "[A-Za-z0-9-]", min: 10, max: 255, check: "random" },
  { kind: "aws_access_key_id", prefix: "(?:AKIA|ASIA)", body: "[A-Z0-9]", min: 16, max: 16 },
  { kind: "gcp_api_key", prefix: "AIza", body: "[0-9A-Za-z_-]", min: 35, max: 35, check: "random" },
  { kind: "cloudflare_api_key", prefix: "cfut_", body: "[A-Za-z0-9]", min: 40, max: 255, check: "random" },
  { kind: "databricks_token", prefix: "dapi", body: "[a-f0-9]", min: 32, max: 32, check: "random" },
  { kind: "hashicorp_vault_token", prefix: String.raw`hv[sb]\.`, body: "[A-Za-z0-9_-]", min: 90, max: 255, check: "random" },
  { kind: "tailscale_key", prefix: "tskey-", body: "[A-Za-z0-9-]", min: 30, max: 255, check: "random" },
  { kind: "vercel_token", prefix: "vc[pikar]_", body: "[A-Za-z0-9]", min: 24, max: 255, check: "random" },
  { kind: "stripe_key", prefix: "[sr]k_(?:live|test)_", body: "[A-Za-z0-9]", min: 24, max: 255, check: "random" },
  { kind: "stripe_key", prefix: "whsec_", body: "[A-Za-z0-9+/=]", min: 24, max: 255, check: "random" },
  { kind: "payment_provider_key", prefix: "A21AA", body: "[A-Za-z0-9_-]", min: 50, max: 255, check: "random" },
  { kind: "payment_provider_key", prefix: "sq0csp-", body: "[0-9A-Za-z_-]", min: 40, max: 255, check: "random" },
  { kind: "payment_provider_key", prefix: "sq0atp-", body: "[0-9A-Za-z_-]", min: 22, max: 255, check: "random" },
  { kind: "payment_provider_key", prefix: "EAAA", body: "[A-Za-z0-9_+=-]", min: 60, max: 255, check: "random" },
  { kind: "payment_provider_key", prefix: "AQE", body: "[A-Za-z0-9+/=-]", min: 60, max: 512, check: "random" },
  { kind: "anthropic_api_key", prefix: "sk-ant-(?:api|admin)0[0-9]-", body: "[A-Za-z0-9_-]", min: 80, max: 255 },
  { kind: "openai_api_key", prefix: "sk-(?:proj|svcacct|admin)-", body: "[A-Za-z0-9_-]", min: 50, max: 255, check: "random" },
  { kind: "figma_token", prefix: "fig[dhu]_", body: "[A-Za-z0-9_-]", min: 40, max: 255, check: "random" },
  { kind: "grafana_token", prefix: "glsa_", body: "[A-Za-z0-9_]", min: 41, max: 64, check: "random" },
  { kind: "grafana_token", prefix: "glc_", body: "[A-Za-z0-9+/=]", min: 32, max: 400, check: "random" },
  { kind: "groq_api_key", prefix: "gsk_", body: "[A-Za-z0-9]", min: 52, max: 52, check: "random" },
  { kind: "huggingface_token", prefix: "hf_", body: "[A-Za-z]", min: 34, max: 34, check: "random" },
  { kind: "linear_api_key", prefix: "lin_api_", body: "[A-Za-z0-9]", min: 32, max: 128, check: "random" },
  { kind: "notion_token", prefix: "ntn_", body: "[A-Za-z0-9]", min: 46, max: 46, check: "random" },
  { kind: "onepassword_token", prefix: "ops_ey", body: "[A-Za-z0-9+/=]", min: 100, max: 1280 },
  { kind: "sendgrid_api_key", prefix: String.raw`SG\.`, body: "[A-Za-z0-9_.-]", min: 60, max: 255, check: "random" },
  { kind: "shopify_token", prefix: "shp(?:at|ca|pa|ss)_", body: "[a-fA-F0-9]", min: 32, max: 64, check: "random" }
]

/** Any of the prefixes: one scan tells whether any prefixed-token rule needs to run. */
const anyTokenPrefix = new RegExp(prefixedTokens.map((token) => token.prefix).join("|"))

const prefixedTokenRules: ReadonlyArray<PatternRule> = prefixedTokens.map((token) => ({
  kind: token.kind,
  pattern: new RegExp(`(?:${token.prefix})${token.body}{${token.min},${token.max}}`, "g"),
  redact: "match",
  gate: anyTokenPrefix,
  ...(token.check === "random"
    ? { accept: (secret: string) => looksRandom(secret.slice(secret.length - token.min)) }
    : token.check === "rp_checksum"
      ? { accept: hasRpTokenChecksum }
      : {}),
  note: `${token.kind} by its prefix \`${token.prefix}\`, also glued to other word characters`
}))
export const patternRules: ReadonlyArray<PatternRule | ScanRule> = [
  ...prefixedTokenRules,
  {
    kind: "rp_token",
    pattern: /\brp_[A-Za-z0-9_]{30,}/g,
    redact: "match",
    note: "Release Passport API tokens (`rp_` + body + checksum suffix)"
  },
  {
    kind: "github_token",
    pattern: /:\/\/(?<secret>[^\s:/?#@"'<>]+):x-oauth-basic@/dg,
    redact: "secret-group",
    note: "a token as the user of `https://<token>:x-oauth-basic@github.com` (the preset reports this range imprecisely)"
  },
  {
    kind: "gitlab_token",
    pattern:
      /(?<![A-Za-z0-9_-])(?:gl(?:agent|cbt|dt|ft|imt|oas|ptt|rt|soat|wt)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})/g,
    redact: "match",
    note: "GitLab tokens other than personal access tokens: runner, deploy, CI job, trigger, feed, OAuth..."
  },
  {
    kind: "npm_token",
    pattern: /(?<![A-Za-z0-9])_(?:authToken|auth|password)[ \t]*=[ \t]*(?<secret>[^\s"'$][^\s"']*)/dg,
    redact: "secret-group",
    accept: isSecretValue,
    note: "`.npmrc` credentials, in any text (the preset reports `_authToken` only for .npmrc files, imprecisely)"
  },
  {
    kind: "slack_token",
    pattern: /\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{10,}/g,
    redact: "match",
    note: "Slack token types the preset lacks (`xoxe-` refresh, `xoxe.xoxp-` rotating, `xoxs-`)"
  },
  {
    kind: "slack_webhook",
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{8,}/g,
    redact: "match",
    note: "Slack workflow and trigger webhooks besides incoming webhooks"
  },
  {
    kind: "aws_secret_access_key",
    pattern:
      /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b[^\r\n]{0,80}?(?<![A-Za-z0-9/+=])(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dg,
    redact: "secret-group",
    accept: hasMixedCase,
    note: "an unlabelled secret key on the same line as its access key id (credentials CSV, `aws configure list`)"
  },
  {
    kind: "gcp_api_key",
    pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
    redact: "match",
    note: "Google API keys"
  },
  {
    kind: "gcp_service_account_key",
    pattern: /"private_key(?:_id)?"\s*:\s*"(?<secret>[^"\r\n]+)"/dg,
    redact: "secret-group",
    when: "gcp_service_account",
    note: "the key and key id of a service-account key file quoted in text (sanitizeJson handles parsed ones)"
  },
  {
    kind: "stripe_key",
    pattern: /(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=]{24,}/g,
    redact: "match",
    note: "Stripe webhook signing secrets"
  },
  {
    kind: "payment_provider_key",
    pattern: /access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}/g,
    redact: "match",
    note: "Braintree / PayPal Braintree access tokens"
  },
  {
    kind: "payment_provider_key",
    pattern: /(?<![A-Za-z0-9])A21AA[A-Za-z0-9_-]{50,}/g,
    redact: "match",
    note: "PayPal OAuth access tokens"
  },
  {
    kind: "payment_provider_key",
    pattern: /(?<![A-Za-z0-9])(?:sq0atp-[0-9A-Za-z_-]{22,}|sq0csp-[0-9A-Za-z_-]{40,}|EAAA[A-Za-z0-9_+=-]{60,})/g,
    redact: "match",
    note: "Square access tokens and OAuth secrets"
  },
  {
    kind: "payment_provider_key",
    pattern: /(?<![A-Za-z0-9+/])AQE[A-Za-z0-9+/]{30,}={0,2}-[A-Za-z0-9+/]{30,}={0,2}(?:-[^\s"'\\]{1,64})?/g,
    redact: "match",
    note: "Adyen API keys"
  },
  {
    kind: "jwt",
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}/g,
    redact: "match",
    note: "JWTs (JWS, unsigned, and the first segments of JWEs): a base64url JSON header, then two dots"
  },
  {
    kind: "private_key",
    pattern:
      /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:Proc-Type:[^\r\n]*|DEK-Info:[^\r\n]*|Comment:[^\r\n]*|[A-Za-z0-9+/=\\ \t\r\n])*(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/g,
    redact: "match",
    note: "PEM private keys the preset misses: ENCRYPTED PKCS#8, `Proc-Type` headers, short or truncated bodies (no END)"
  },
  {
    kind: "kubeconfig_credential",
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_.\-])["']?client-(?:key|certificate)-data["']?[ \t]*:[ \t]*${value}`, "dg"),
    redact: "secret-group",
    accept: isSecretValue,
    note: "kubeconfig client key and certificate data"
  },
  {
    kind: "kubeconfig_credential",
    pattern: new RegExp(
      String.raw`(?<![A-Za-z0-9_.\-])["']?(?:token|password|id-token|refresh-token)["']?[ \t]*:[ \t]*${value}`,
      "dg"
    ),
    redact: "secret-group",
    accept: isSecretValue,
    when: "kubeconfig",
    note: "`token:`, `password:`, `id-token:` and `refresh-token:` entries of a kubeconfig"
  },
  {
    kind: "url_password",
    scan: findUrlPasswords,
    // `host:4873/@scope/pkg` is a port and a path, not a password; nor is a port at the end of a line
    // followed by a line with an address (`https://host:8443` newline `owner=ops@example.com`).
    accept: (secret: string) => secret !== "x-oauth-basic" && !/^\d+[/\t\r\n]/.test(secret) && isSecretValue(secret),
    note: "the password of `scheme://user:password@host` (any scheme), also when it holds an unescaped `@`, `/`, " +
      "`?`, `#`, a tab or a line break; the user and host stay (a linear scan, see urlPasswords.ts)"
  },
  {
    kind: "authorization_header",
    pattern: new RegExp(
      String.raw`(?<![A-Za-z0-9-])(?:proxy-)?authorization(?:\\?["'\`])?[ \t]*[:=][ \t]*(?:\\?["'\`])?` +
        String.raw`(?:(?:Bearer|Basic|Token|Bot|Digest|Negotiate|NTLM|OAuth|AWS4-HMAC-SHA256)[ \t]+)?${restOfLine}`,
      "dgi"
    ),
    redact: "secret-group",
    accept: firstWordIsSecret,
    note: "`Authorization:` header values; the scheme (`Bearer`, `Basic`, ...) stays"
  },
  {
    kind: "bearer_token",
    pattern: /(?<![A-Za-z0-9])Bearer[ \t]+(?<secret>[A-Za-z0-9\-._~+/]{16,}=*)/dg,
    redact: "secret-group",
    note: "`Bearer <credential>` outside a header line"
  },
  {
    kind: "cookie",
    pattern: new RegExp(
      String.raw`(?<![A-Za-z0-9-])(?:set-)?cookie(?:\\?["'])?[ \t]*:[ \t]*(?:\\?["'])?${restOfLine}`,
      "dgi"
    ),
    redact: "secret-group",
    accept: firstWordIsSecret,
    note: "`Cookie:` and `Set-Cookie:` header values"
  },
  {
    kind: "secret",
    pattern: new RegExp(
      String.raw`(?<name>${nameAlternation})(?:(?:\\?["'])?[ \t]*(?::=|=>|:|=)[ \t]*${value}|${spacedValue})`,
      "dgi"
    ),
    redact: "secret-group",
    kindOf: (match) => textNameKind(match.groups?.["name"] ?? ""),
    accept: (secret, match) =>
      nameInPlace(match) && (match.groups?.["secret4"] !== undefined ? looksLikeCredential(secret) : isSecretValue(secret)),
    note: "`name = value`, `name: value`, `\"name\": \"value\"` and `?name=value` for the sensitive names above " +
      "(`client_secret` → oidc_client_secret, `AWS_SECRET_ACCESS_KEY` → aws_secret_access_key, ...); also " +
      "`NAME value` with a space when the value is credential-shaped (prose, `the password was not printed`, is not)"
  },
  {
    kind: "secret",
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_-])--(?:[A-Za-z0-9]+[-_])*?(?<name>${nameAlternation})[ \t]+${value}`, "dgi"),
    redact: "secret-group",
    kindOf: (match) => textNameKind(match.groups?.["name"] ?? ""),
    accept: (secret, match) => nameInPlace(match) && isSecretValue(secret),
    note: "a long command-line flag and its value after a space: `--password VALUE`, `--client-secret VALUE`"
  },
  {
    kind: "password",
    scan: flagsAfterCommand(
      /\b(?:docker|podman|nerdctl|buildah|skopeo|oras|crane|helm(?:[ \t]+registry)?)[ \t]+login\b/g,
      new RegExp(String.raw`[ \t]-p(?:[ \t]+|=)?${value}`, "dg")
    ),
    accept: isSecretValue,
    note: "`docker login -p VALUE` (and podman, buildah, helm registry, ...): `-p` is a password only for these"
  },
  {
    kind: "password",
    scan: flagsAfterCommand(/\bmysql(?:dump|admin|sh)?\b/g, /[ \t]-p(?<secret>[^\s"'\\&,;]+)/dg),
    accept: isSecretValue,
    note: "`mysql -pVALUE` (the password glued to the flag, as the client requires)"
  },
  {
    kind: "password",
    scan: flagsAfterCommand(
      /\b(?:curl|wget|http|xh)\b/g,
      /[ \t](?:-u|-U|--user|--proxy-user|-a|--auth)(?:[ \t]+|=)?["']?[^\s:"'@]*:(?<secret>[^\s"']+)/dg
    ),
    accept: isSecretValue,
    note: "`curl -u user:password` (and wget, httpie): the user stays, the password goes"
  }
]

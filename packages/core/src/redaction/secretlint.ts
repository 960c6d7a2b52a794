/**
 * Runs the rules of secretlint's recommended preset synchronously on a string.
 *
 * `@secretlint/core`'s `lintSource` is asynchronous (and ~7x slower per call, for config
 * resolution, sorting and message formatting we do not need), but the rules themselves are plain
 * objects with a synchronous `create(context).file(source)` (secretlint's public rule-author contract,
 * typed by `@secretlint/types`). We drive that contract directly: one context per rule, created once,
 * whose `report` collects ranges. The translator ignores its props, so no message ever carries a
 * secret. A rule that turns asynchronous in some future release fails loudly instead of being
 * silently skipped.
 */
import type * as Preset from "@secretlint/secretlint-rule-preset-recommend"
import { createRequire } from "node:module"
import type {
  SecretLintRuleContext,
  SecretLintRuleCreator,
  SecretLintRuleLocalizeMessages,
  SecretLintRuleMessageTranslate,
  SecretLintRuleReportDescriptor,
  SecretLintSourceCode
} from "@secretlint/types"
import type { SecretKind } from "./SecretKind.ts"
import { secretlintRuleUses, type SecretlintRuleSkip, type SecretlintRuleUse } from "./rules.ts"

export interface LibraryFinding {
  readonly start: number
  readonly end: number
  readonly kind: SecretKind
}

type FileHandler = (source: SecretLintSourceCode) => void | Promise<void>

interface RunningRule {
  readonly id: string
  readonly use: SecretlintRuleUse
  readonly file: FileHandler
}

const unsupported = (): never => {
  throw new Error("the sanitizer's secretlint source has no line/column mapping")
}

const sourceOf = (content: string): SecretLintSourceCode => ({
  hasBOM: false,
  content,
  filePath: undefined,
  physicalFilePath: undefined,
  contentType: "text",
  ext: "",
  getFilePath: () => undefined,
  getPhysicalFilePath: () => undefined,
  locationToRange: unsupported,
  rangeToLocation: unsupported,
  positionToIndex: unsupported,
  indexToPosition: unsupported
})

const isThenable = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"

/** Characters a token body is made of: a reported range that stops inside such a run is extended to its end. */
const isTokenChar = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 45

const extendToTokenEnd = (text: string, end: number): number => {
  let i = end
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++
  return i
}

const defaultUse: SecretlintRuleUse = { kind: "third_party_token" }

/**
 * The recommended preset, loaded on first use (synchronously: Node 22 requires ES modules
 * without top-level await). Loading and preparing it takes tens of milliseconds, which a
 * process that never sanitizes (a CLI's `--help`, a pipeline client) should not pay at start-up.
 */
let preset: typeof Preset.rules | undefined
const presetRules = (): typeof Preset.rules =>
  (preset ??= (createRequire(import.meta.url)("@secretlint/secretlint-rule-preset-recommend") as typeof Preset).rules)

/**
 * Prepares the given secretlint rules (the recommended preset by default) as configured by `uses`
 * (`secretlintRuleUses` by default), and returns a synchronous scanner.
 */
export const makeSecretlintScanner = (
  creators: ReadonlyArray<SecretLintRuleCreator<never>> = presetRules() as ReadonlyArray<SecretLintRuleCreator<never>>,
  uses: Readonly<Record<string, SecretlintRuleUse | SecretlintRuleSkip>> = secretlintRuleUses
): ((text: string) => Array<LibraryFinding>) => {
  // Reports go to the scan under way; there is exactly one at a time because scanning is synchronous.
  let sink: Array<LibraryFinding> | undefined
  let text = ""
  const running: Array<RunningRule> = []

  for (const creator of creators) {
    const id = creator.meta.id
    const configured = uses[id]
    if (configured !== undefined && "skip" in configured) continue
    const use = configured ?? defaultUse
    const context: SecretLintRuleContext = {
      sharedOptions: {},
      createTranslator: <T extends SecretLintRuleLocalizeMessages>(_messages: T): SecretLintRuleMessageTranslate<T> =>
        (messageId) => ({ message: String(messageId), messageId: String(messageId), data: undefined }),
      report: (descriptor: SecretLintRuleReportDescriptor) => {
        if (sink === undefined) return
        const kind = use.reports?.[descriptor.message.messageId] ?? use.kind
        if (typeof kind !== "string") return
        const [start, end] = descriptor.range
        if (end <= start) return
        sink.push({ start, end: extendToTokenEnd(text, end), kind })
      },
      ignore: () => {}
    }
    const handler = (creator as SecretLintRuleCreator<Readonly<Record<string, unknown>>>).create(context, {
      ...use.options
    })
    const file = handler.file
    if (file === undefined) continue
    if (isThenable(file.call(handler, sourceOf("")))) throw new Error(`secretlint rule ${id} is asynchronous`)
    running.push({ id, use, file: file.bind(handler) })
  }

  return (content) => {
    const findings: Array<LibraryFinding> = []
    sink = findings
    text = content
    try {
      const source = sourceOf(content)
      for (const rule of running) {
        if (isThenable(rule.file(source))) throw new Error(`secretlint rule ${rule.id} is asynchronous`)
      }
    } finally {
      sink = undefined
      text = ""
    }
    return findings
  }
}

/** The recommended preset, prepared once, on the first scan. */
let scanner: ((text: string) => Array<LibraryFinding>) | undefined
export const scanWithSecretlint = (text: string): Array<LibraryFinding> => (scanner ??= makeSecretlintScanner())(text)

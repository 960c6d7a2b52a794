import type { VerdictKind } from "@releasepassport/core"
import { html } from "ghtml"
import type { ComponentChildren } from "preact"
import type { Visit } from "../ConsoleAuth.ts"

const VERDICT_ICONS: Record<VerdictKind, string> = { pass: "✓", warn: "!", fail: "✕", error: "⚠" }

/** A verdict as an icon and its word: never colour alone. */
export const Verdict = ({ verdict }: { readonly verdict: VerdictKind | null }) =>
  verdict === null
    ? <span class="verdict verdict-none">— no verdict</span>
    : (
      <span class={`verdict verdict-${verdict}`}>
        <span aria-hidden="true">{VERDICT_ICONS[verdict]}</span> {verdict}
      </span>
    )

/**
 * The same views as markup strings, for long lists rendered with `html` (ghtml) instead of a
 * component per cell: 50 passport rows as JSX were about 0.6 ms of rendering and garbage per
 * request, more than the JSON route's whole encoding. `html` escapes every `${}`; a raw `!${}`
 * only ever takes another `html` result. test/Format.test.ts keeps each twin equal to its
 * component.
 */
export const verdictHtml = (verdict: VerdictKind | null): string =>
  verdict === null
    ? html`<span class="verdict verdict-none">— no verdict</span>`
    : html`<span class="verdict verdict-${verdict}"><span aria-hidden="true">${VERDICT_ICONS[verdict]}</span> ${verdict}</span>`

const UNITS: ReadonlyArray<readonly [number, string]> = [[86_400_000, "d"], [3_600_000, "h"], [60_000, "min"], [1000, "s"]]

/** A length of time in its largest whole unit: "3 d", "5 h", "40 s". */
export const duration = (seconds: number): string => {
  const ms = Math.max(0, seconds) * 1000
  for (const [size, unit] of UNITS) if (ms >= size) return `${Math.floor(ms / size)} ${unit}`
  return "0 s"
}

export const relative = (iso: string, now: number): string => {
  const delta = now - Date.parse(iso)
  const ago = delta >= 0
  const size = Math.abs(delta)
  for (const [ms, unit] of UNITS) {
    if (size >= ms) return ago ? `${Math.floor(size / ms)} ${unit} ago` : `in ${Math.floor(size / ms)} ${unit}`
  }
  return "just now"
}

/** A relative time, with the absolute one in the tooltip and the machine-readable attribute. */
export const When = ({ iso, now }: { readonly iso: string | null; readonly now: number }) =>
  iso === null ? <span>never</span> : <time datetime={iso} title={iso}>{relative(iso, now)}</time>

export const whenHtml = (iso: string | null, now: number): string =>
  iso === null ? html`<span>never</span>` : html`<time datetime="${iso}" title="${iso}">${relative(iso, now)}</time>`

/** A long value (digest, sha) shown short; the whole value is in the title and a copy button. */
export const Short = ({ value, length = 19 }: { readonly value: string; readonly length?: number }) => (
  <span class="short">
    <code title={value}>{value.length > length ? `${value.slice(0, length)}…` : value}</code>
    <button type="button" class="copy" data-copy={value} aria-label={`Copy ${value}`}>Copy</button>
  </span>
)

export const shortHtml = (value: string, length = 19): string =>
  html`<span class="short"><code title="${value}">${value.length > length ? `${value.slice(0, length)}…` : value}</code><button type="button" class="copy" data-copy="${value}" aria-label="Copy ${value}">Copy</button></span>`

/** A console link that keeps the selected workspace. */
export const href = (visit: Visit, path: string, params: Record<string, string | undefined> = {}) => {
  const query = new URLSearchParams()
  if (visit.memberships.length > 1) query.set("workspace", visit.membership.workspace.slug)
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") query.set(key, value)
  const search = query.toString()
  return search === "" ? path : `${path}?${search}`
}

export const Hidden = ({ visit }: { readonly visit: Visit }) => <input type="hidden" name="_csrf" value={visit.csrfToken} />

export const Section = ({ title, id, children }: { readonly title: string; readonly id?: string; readonly children: ComponentChildren }) => (
  <section aria-labelledby={`${id ?? slug(title)}-title`} id={id}>
    <h2 id={`${id ?? slug(title)}-title`}>{title}</h2>
    {children}
  </section>
)

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-")

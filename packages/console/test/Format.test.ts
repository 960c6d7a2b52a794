import { h } from "preact"
import { renderToString } from "preact-render-to-string"
import { describe, expect, it } from "vitest"
import { Short, shortHtml, Verdict, verdictHtml, When, whenHtml } from "../src/views/Format.tsx"
import { PassportsPage } from "../src/views/PassportsPage.tsx"
import type { Visit } from "../src/ConsoleAuth.ts"
import { loadAssets } from "../src/Assets.ts"

const NOW = Date.parse("2026-12-02T12:00:00Z")

describe("the markup twins of the format components", () => {
  it("render exactly what their components render", () => {
    for (const verdict of ["pass", "warn", "fail", "error", null] as const) {
      expect(verdictHtml(verdict)).toBe(renderToString(h(Verdict, { verdict })))
    }
    for (const iso of ["2026-12-02T11:59:30Z", "2026-11-20T08:00:00.000Z", "2027-01-01T00:00:00Z", null]) {
      expect(whenHtml(iso, NOW)).toBe(renderToString(h(When, { iso, now: NOW })))
    }
    for (const value of ["sha256:" + "ab".repeat(32), "0123456789abcdef0123", "short"]) {
      expect(shortHtml(value)).toBe(renderToString(h(Short, { value })))
      expect(shortHtml(value, 12)).toBe(renderToString(h(Short, { value, length: 12 })))
    }
  })
})

describe("the passports list", () => {
  const membership = { role: "viewer", workspace: { id: "ws_1", slug: "default", name: "Default" } }
  const visit = {
    signedIn: { user: { id: "u_1", displayName: "Reader" } },
    memberships: [membership],
    membership,
    reader: {},
    csrfToken: "csrf",
    url: new URL("http://console.invalid/console/passports"),
    now: NOW
  } as unknown as Visit
  const hostile = "<script>window.__pwned=1</script>\"><img src=x onerror=alert(1)>'&"
  const item = {
    id: "pp_\"><b>",
    service: { name: hostile, namespace: hostile },
    release: { releaseId: hostile, sourceSha: "a".repeat(40) },
    artifactDigest: hostile,
    environments: [{ environment: hostile, verdict: "fail", mode: "enforce", evaluationId: "ev_1", blockerCount: 1, evaluatedAt: "2026-12-02T11:00:00Z" }],
    blockerCount: 1,
    createdAt: "2026-12-02T10:00:00Z",
    updatedAt: "2026-12-02T11:00:00Z"
  } as const
  const rendered = renderToString(h(PassportsPage, {
    visit,
    assets: loadAssets(),
    page: { items: [item], nextCursor: null },
    filters: {},
    cursor: undefined
  }))

  it("escapes every value from a pipeline: no tag, attribute or entity of theirs survives", () => {
    const row = rendered.slice(rendered.indexOf("<tbody>"), rendered.indexOf("</tbody>"))
    expect(row).toContain("data-testid=\"passport-row\"")
    expect(row).not.toMatch(/<script|<img|<b>|onerror=|'&/)
    // Escaped once in each place it is shown: name, namespace, release, environment, and the
    // digest's shortened text, title, copy value and label.
    expect(row.split("&#60;script&#62;").length - 1).toBe(8)
    expect(row).toContain(`href="/console/passports/${encodeURIComponent(item.id)}"`)
  })
})

import type { DecisionRecord } from "@releasepassport/core"
import { parse } from "csv-parse/sync"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  csvCell,
  DecisionChain,
  DECISIONS_CSV,
  ImpactTally,
  makeDecisionRow,
  manifestEntry,
  parseCsv,
  textEntry,
  verifyAuditPack
} from "../../src/index.ts"

const record = (overrides: Partial<DecisionRecord>): DecisionRecord => ({
  evaluationId: "ge_1",
  passportId: "pp_1",
  workspaceSlug: "alpha",
  service: "checkout",
  namespace: "apps",
  environment: "production",
  releaseId: "r1",
  artifactDigest: "sha256:aa",
  sourceSha: "abc",
  mode: "shadow",
  verdict: "pass",
  allowed: true,
  wouldBlock: false,
  blockers: [],
  warnings: [],
  policyRevision: "rev",
  bundleDigest: "sha256:bb",
  evaluatedAt: "2026-11-01T00:00:00.000Z",
  token: null,
  ...overrides
})
const finding = (code: string) => ({ code, policy: "gate/x", message: "m" })

describe("impact tally", () => {
  it("keeps errors apart, counts allowed ones unlabelled, and a rule once per evaluation", () => {
    const tally = new ImpactTally()
    tally.add(record({ evaluationId: "1", passportId: "a", verdict: "fail", wouldBlock: true, blockers: [finding("smoke.missing"), finding("smoke.missing")], evaluatedAt: "2026-11-01T00:00:00.000Z" }))
    tally.add(record({ evaluationId: "2", passportId: "a", verdict: "fail", wouldBlock: true, blockers: [finding("smoke.missing")], evaluatedAt: "2026-11-02T00:00:00.000Z" }))
    tally.add(record({ evaluationId: "3", passportId: "b", verdict: "error", wouldBlock: true, blockers: [finding("policy.evaluation_failed")] }))
    tally.add(record({ evaluationId: "4", passportId: "c", verdict: "warn" }))
    tally.add(record({ evaluationId: "5", passportId: "d", mode: "enforce", verdict: "fail", allowed: false, wouldBlock: true, blockers: [finding("digest.invalid")] }))
    tally.add(record({ evaluationId: "6", passportId: "e", mode: "enforce", verdict: "error", allowed: false, wouldBlock: true, blockers: [finding("policy.evaluation_failed")] }))
    const view = tally.view((v) => v, { window: { since: "s", until: "u" }, filters: { environment: null, service: null, namespace: null }, generatedAt: "g" })
    expect(view.shadow).toMatchObject({ evaluations: 4, releases: 3, wouldAllow: { evaluations: 1, releases: 1 }, errors: { evaluations: 1, releases: 1 } })
    expect(view.shadow.wouldBlock.byRule).toEqual([{
      code: "smoke.missing", evaluations: 2, releases: 1, firstAt: "2026-11-01T00:00:00.000Z", lastAt: "2026-11-02T00:00:00.000Z", examples: ["a"]
    }])
    expect(view.shadow.wouldBlock.byRule.map((r) => r.code)).not.toContain("policy.evaluation_failed")
    expect(view.enforce).toMatchObject({ evaluations: 2, blocked: { evaluations: 1 }, errors: { evaluations: 1 }, allowed: { evaluations: 0 } })
    expect(view.enforce.blocked.byRule.map((r) => r.code)).toEqual(["digest.invalid"])
  })
})

describe("CSV cells", () => {
  it("neutralises formula leads and quotes per RFC 4180; csv-parse reads back what was meant", () => {
    expect(csvCell("=1+2")).toBe("'=1+2")
    expect(csvCell("-3")).toBe("'-3")
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)")
    expect(csvCell("+x")).toBe("'+x")
    expect(csvCell("a,b")).toBe("\"a,b\"")
    expect(csvCell("say \"hi\"")).toBe("\"say \"\"hi\"\"\"")
    expect(csvCell("plain")).toBe("plain")
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (cells) => {
      const line = cells.map(csvCell).join(",") + "\r\n"
      const expected = cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c))
      expect(parse(line, { relax_column_count: true })).toEqual([expected])
      expect(parseCsv(line)).toEqual([expected])
    }))
  })
})

describe("audit pack verification", () => {
  const pack = (records: ReadonlyArray<DecisionRecord>) => {
    const chain = new DecisionChain()
    const row = makeDecisionRow()
    for (const r of records) chain.add(row(r))
    const done = chain.finish()
    const entries = [textEntry(DECISIONS_CSV, done.text), textEntry("passports/pp_1.json", "{}\n")]
    const manifest = manifestEntry({
      format: "releasepassport-audit-pack/1",
      workspace: "alpha",
      window: { since: "s", until: "u" },
      generatedAt: "g",
      generatedBy: "token t (tok_1)",
      decisions: { rows: done.rows, chainHead: done.chainHead }
    }, entries)
    return new Map([...entries, manifest].map((e) => [e.name, e.bytes]))
  }
  const records = [1, 2, 3].map((i) => record({ evaluationId: `ge_${i}`, releaseId: i === 2 ? "=cmd|' /C calc'!A0" : `r${i}` }))
  const encoder = new TextEncoder()

  it("passes as generated", () => {
    expect(verifyAuditPack(pack(records))).toEqual([])
  })

  it("fails for a changed, missing or unlisted file", () => {
    const changed = pack(records)
    changed.set("passports/pp_1.json", encoder.encode("{ }\n"))
    expect(verifyAuditPack(changed).join("\n")).toContain("passports/pp_1.json")
    const missing = pack(records)
    missing.delete("passports/pp_1.json")
    expect(verifyAuditPack(missing).join("\n")).toContain("missing")
    const extra = pack(records)
    extra.set("extra.txt", encoder.encode("x"))
    expect(verifyAuditPack(extra).join("\n")).toContain("not listed")
  })

  it("the chain catches reordered rows and a truncated tail even when sums are made to agree", () => {
    const reorderedRows = pack([records[0]!, records[2]!, records[1]!])
    const original = pack(records)
    // Swap the reordered CSV into the original pack and fix only the entry's sum and size.
    const csv = reorderedRows.get(DECISIONS_CSV)!
    const manifest = JSON.parse(new TextDecoder().decode(original.get("manifest.json")!))
    const fixed = pack(records)
    fixed.set(DECISIONS_CSV, csv)
    manifest.entries = manifest.entries.map((e: { name: string }) =>
      e.name === DECISIONS_CSV ? { ...e, sha256: JSON.parse(new TextDecoder().decode(reorderedRows.get("manifest.json")!)).entries[0].sha256, size: csv.byteLength } : e)
    fixed.set("manifest.json", encoder.encode(JSON.stringify(manifest)))
    expect(verifyAuditPack(fixed).join("\n")).toContain("chain")
    expect(verifyAuditPack(pack(records.slice(0, 2))).length).toBe(0)
    // The first two rows of a three-row pack, under the three-row manifest: the tail is missing.
    const truncated = pack(records)
    const twoRows = pack(records.slice(0, 2)).get(DECISIONS_CSV)!
    truncated.set(DECISIONS_CSV, twoRows)
    const m = JSON.parse(new TextDecoder().decode(truncated.get("manifest.json")!))
    m.entries[0] = { ...m.entries[0], sha256: JSON.parse(new TextDecoder().decode(pack(records.slice(0, 2)).get("manifest.json")!)).entries[0].sha256, size: twoRows.byteLength }
    truncated.set("manifest.json", encoder.encode(JSON.stringify(m)))
    const problems = verifyAuditPack(truncated).join("\n")
    expect(problems).toContain("2 rows, manifest says 3")
    expect(problems).toContain("does not end at the manifest's head")
  })
})

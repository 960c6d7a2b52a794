// npm run policies:test: opa test on policies/src with the shared gate cases, and coverage.
import { pathToFileURL } from "node:url"
import { casesDataPath, casesFile, Failure, main, opa, srcDir } from "./lib.mjs"

// Coverage of the policies themselves (tests excluded) must stay at or above this.
const minimumCoverage = 90

export const runTests = () => {
  const paths = [srcDir, `${casesDataPath}:${casesFile}`]
  const { status } = opa(["test", ...paths])
  if (status !== 0) throw new Failure(`opa test failed (exit ${status})`)

  const coverage = opa(["test", "--coverage", "--format", "json", ...paths], { capture: true })
  if (coverage.status !== 0) throw new Failure(`opa test --coverage failed (exit ${coverage.status})`)
  const report = JSON.parse(coverage.stdout)
  let covered = 0
  let notCovered = 0
  const uncovered = []
  for (const [file, result] of Object.entries(report.files)) {
    if (file.endsWith("_test.rego")) continue
    covered += result.covered_lines ?? 0
    notCovered += result.not_covered_lines ?? 0
    for (const range of result.not_covered ?? []) uncovered.push(`${file}:${range.start.row}`)
  }
  const policyCoverage = covered + notCovered === 0 ? 0 : (100 * covered) / (covered + notCovered)
  console.log(`coverage: policies ${policyCoverage.toFixed(1)}% (${covered}/${covered + notCovered} lines), including tests ${report.coverage.toFixed(1)}%`)
  if (uncovered.length > 0) console.log(`not covered: ${uncovered.join(", ")}`)
  if (policyCoverage < minimumCoverage) {
    throw new Failure(`policy coverage ${policyCoverage.toFixed(1)}% is under ${minimumCoverage}%: add tests in ${srcDir}/*_test.rego`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(runTests)

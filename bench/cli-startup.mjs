// CLI start-up next to `node -e 0`, in the same run: N runs of each command, median and the
// ratio to the baseline. `gate evaluate` is run against a closed port with --retries 0, so it
// measures loading, parsing the request and one refused connection, not a server.
//   node bench/cli-startup.mjs [runs] [--baseline <other checkout>/packages/cli/bin/releasepassport.js]
// (build first: npm run build --silent). With --baseline, another build of the CLI (e.g. the
// commit before a change) runs interleaved with this one, so before and after share the noise.
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

const args = process.argv.slice(2)
const baselineAt = args.indexOf("--baseline")
const baselineBin = baselineAt >= 0 ? path.resolve(args[baselineAt + 1] ?? "") : undefined
if (baselineAt >= 0) args.splice(baselineAt, 2)
const runs = Number(args[0] ?? 15)
const bin = fileURLToPath(new URL("../packages/cli/bin/releasepassport.js", import.meta.url))
const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-startup-"))
const request = path.join(dir, "gate.json")
writeFileSync(request, JSON.stringify({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "staging" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  release: { releaseId: "bench-1", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/app.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true }
}))

const cliCommands = (label, cli) => [
  { name: `${label} --help`, args: [cli, "--help"], expect: 0 },
  {
    name: `${label} gate evaluate`,
    args: [cli, "gate", "evaluate", "--url", "http://127.0.0.1:9", "--file", request, "--retries", "0", "--token", "rp_bench"],
    expect: 2
  }
]
const commands = [
  { name: "node -e 0", args: ["-e", "0"], expect: 0 },
  ...(baselineBin === undefined ? [] : cliCommands("baseline", baselineBin)),
  ...cliCommands("releasepassport", bin)
]

const time = (args, expected) => {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== expected) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  return ms
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

// One warm-up each (V8's compile cache, the file cache), then interleaved runs so that load on
// a shared machine falls on every command alike.
for (const command of commands) time(command.args, command.expect)
const samples = commands.map(() => [])
for (let i = 0; i < runs; i++) commands.forEach((command, j) => samples[j].push(time(command.args, command.expect)))
rmSync(dir, { recursive: true, force: true })

const baseline = median(samples[0])
console.log(`runs: ${runs} each, Node ${process.versions.node}`)
for (const [j, command] of commands.entries()) {
  const m = median(samples[j])
  console.log(`${command.name.padEnd(32)} median ${m.toFixed(0).padStart(5)} ms  min ${Math.min(...samples[j]).toFixed(0).padStart(5)} ms  ${(m / baseline).toFixed(1)}x node -e 0`)
}

#!/usr/bin/env node
// Checked before anything else loads: Effect 4 and node:sqlite need Node 22.19 or newer,
// and on older versions they fail in ways that do not say so.
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `releasepassport needs Node.js >= 22.19 (this is ${process.versions.node}).\n` +
      "Install it, or from a checkout run: source scripts/use-node.sh\n"
  )
  process.exit(2)
}
// V8's compile cache roughly halves start-up for a CLI that loads this much code.
const { enableCompileCache } = await import("node:module")
enableCompileCache?.()
await import("../dist/cli.js")

// npm run policies:build: compiles policies/src to policies/bundle/bundle.tar.gz (wasm).
import path from "node:path"
import { buildBundle, bundleFile, entrypoint, main, repoRoot } from "./lib.mjs"

await main(() => {
  const revision = buildBundle(path.join(repoRoot, bundleFile))
  console.log(`built ${bundleFile} (entrypoint ${entrypoint}, revision ${revision})`)
})

import { copyFileSync, mkdirSync } from "node:fs"
import { defineConfig } from "tsup"

export default defineConfig({
  // policy-worker runs on worker threads (see PolicyWorkerPool); it is loaded by path.
  // api: the API definition alone, for clients (`@releasepassport/server/api`).
  entry: { index: "src/index.ts", api: "src/api/index.ts", "policy-worker": "src/policy/policyWorker.ts" },
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: { entry: { index: "src/index.ts", api: "src/api/index.ts" } },
  sourcemap: true,
  clean: true,
  // The default policies travel with the package (defaultBundle.ts looks here first), so an
  // installed server decides without a checkout of the repository.
  onSuccess: async () => {
    mkdirSync("dist/policies", { recursive: true })
    copyFileSync("../../policies/bundle/bundle.tar.gz", "dist/policies/bundle.tar.gz")
  }
})

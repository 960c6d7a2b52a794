import { defineConfig } from "tsup"

export default defineConfig({
  // policy-worker runs on worker threads (see PolicyWorkerPool); it is loaded by path.
  entry: { index: "src/index.ts", "policy-worker": "src/policy/policyWorker.ts" },
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true
})

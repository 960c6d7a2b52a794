import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  // The templates are JSX compiled for Preact's string renderer (auto-escaping).
  esbuildOptions(options) {
    options.jsx = "automatic"
    options.jsxImportSource = "preact"
  }
})

// Loaded with import() by `policy eval`: the policy engine (opa-wasm) only when a bundle is
// evaluated (see licensing.ts for why a module of its own).
export { evaluateGate, evaluatePolicyInput, loadPolicyBundle } from "@releasepassport/core"

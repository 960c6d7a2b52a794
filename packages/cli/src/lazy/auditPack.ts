// Loaded with import() by `report verify` (see licensing.ts for why a module of its own).
export { verifyAuditPack } from "@releasepassport/app"

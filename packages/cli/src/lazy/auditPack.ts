// Loaded with import() by `report verify` (see licensing.ts for why a module of its own): the
// zip reader brings yauzl, which no other command needs at start-up.
export { readZipEntries, verifyAuditPack } from "@releasepassport/app"

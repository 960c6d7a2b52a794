import { monotonicFactory } from "ulid"

const next = monotonicFactory()

/**
 * Ids are a kind prefix and a ULID: sortable by creation time, unguessable enough to not
 * enumerate, and recognisable in logs (`pp_` passport, `ge_` gate evaluation, ...).
 */
export const newId = (prefix: "ws" | "tok" | "pp" | "ge" | "evd" | "usr" | "ses" | "cmt" | "lic"): string =>
  `${prefix}_${next()}`

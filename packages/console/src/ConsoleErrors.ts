import { Schema } from "effect"

/** The visitor has no live session: the page answers with the sign-in form instead. */
export class NeedsSignIn extends Schema.TaggedError<NeedsSignIn>()("NeedsSignIn", {
  /** The console path to return to after signing in. */
  next: Schema.String,
  /** The presented cookie no longer works, so the browser should drop it. */
  expireCookie: Schema.Boolean
}) {}

/** A request the console answers with an error page (status, short title, one sentence). */
export class PageRefused extends Schema.TaggedError<PageRefused>()("PageRefused", {
  status: Schema.Int,
  title: Schema.String,
  message: Schema.String
}) {}

export const notFound = () =>
  new PageRefused({ status: 404, title: "Not found", message: "There is no such page, or it is not in this workspace." })

export const forbidden = (message: string) => new PageRefused({ status: 403, title: "Not allowed", message })

export const badRequest = (message: string) => new PageRefused({ status: 400, title: "Not accepted", message })

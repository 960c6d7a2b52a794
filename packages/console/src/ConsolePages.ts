import type {
  CommentNotFound,
  CommentNotYours,
  InvalidCursor,
  InvalidReportWindow,
  PassportNotFound,
  SecretInIdentifier,
  TokenNotFound
} from "@releasepassport/app"
import type { StoreUnavailable } from "@releasepassport/core"
import { badRequest, forbidden, notFound, PageRefused } from "./ConsoleErrors.ts"

/** Errors a console page can meet from the use cases. */
export type DomainError =
  | PassportNotFound
  | CommentNotFound
  | CommentNotYours
  | InvalidCursor
  | InvalidReportWindow
  | SecretInIdentifier
  | TokenNotFound
  | StoreUnavailable

/**
 * The console's one table from domain error to error page (the JSON API's is DomainProblems in
 * the server). Another workspace's passport is PassportNotFound: the same 404 page as a missing one.
 */
export const pageFor = (error: DomainError): PageRefused => {
  switch (error._tag) {
    case "PassportNotFound":
    case "CommentNotFound":
    case "TokenNotFound":
      return notFound()
    case "CommentNotYours":
      return forbidden("Only its author or an admin may delete this comment.")
    case "InvalidCursor":
      return badRequest("That page link is not valid any more; start from the first page.")
    case "SecretInIdentifier":
      return badRequest(`Not saved: ${error.field} looks like it holds a secret; never paste secrets here.`)
    case "InvalidReportWindow":
      return badRequest(`That report window does not work: ${error.message}.`)
    case "StoreUnavailable":
      return new PageRefused({ status: 503, title: "Unavailable", message: "The database is unavailable; retry in a moment." })
  }
}

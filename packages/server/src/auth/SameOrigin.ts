// The check is pure and shared with the console, so it lives with the session use cases.
export { isSameOrigin } from "@releasepassport/app"

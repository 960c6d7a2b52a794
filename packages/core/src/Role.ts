import { Schema } from "effect"

/**
 * Workspace roles, weakest first. Each role may do everything the ones before it may:
 * viewers read, members also write (comments), admins also manage tokens and see private
 * evidence details, owners also manage the workspace itself.
 */
export const Roles = ["viewer", "member", "admin", "owner"] as const
export const Role = Schema.Literals(Roles)
export type Role = typeof Role.Type

/** Whether `role` grants at least what `minimum` grants. */
export const roleAtLeast = (role: Role, minimum: Role): boolean => Roles.indexOf(role) >= Roles.indexOf(minimum)

package releasepassport.gate

rollback_available if input.request.rollback.available == true

rollback_verified if input.request.rollback.verified == true

# METADATA
# title: No rollback in a protected environment
# description: |
#   Promoting to a protected environment (config protected_environments) needs a rollback path.
# custom:
#   code: rollback.unavailable
#   severity: deny
deny contains result if {
	not rollback_available
	environment in protected_environments
	result := finding(
		"rollback.unavailable",
		"gate/rollback",
		concat("", ["No rollback is available, and ", quoted(environment), " is a protected environment."]),
		"Keep the previous release deployable (previous image and manifests retained) and report rollback.available: true.",
		[],
	)
}

# METADATA
# title: No rollback
# description: Outside protected environments, a missing rollback path is a warning.
# custom:
#   code: rollback.unavailable
#   severity: warn
warn contains result if {
	not rollback_available
	not environment in protected_environments
	result := finding(
		"rollback.unavailable",
		"gate/rollback",
		concat("", ["No rollback is available for this release in ", quoted(environment), "."]),
		"Keep the previous release deployable (previous image and manifests retained) and report rollback.available: true.",
		[],
	)
}

# METADATA
# title: Rollback not verified
# description: |
#   A rollback exists but has not been exercised. A warning, except in the environments listed
#   in config rollback.deny_unverified_in.
# custom:
#   code: rollback.unverified
#   severity: warn
warn contains result if {
	rollback_available
	not rollback_verified
	not environment in deny_unverified_rollback_in
	result := unverified_rollback
}

# METADATA
# title: Rollback not verified where verification is required
# description: In environments listed in config rollback.deny_unverified_in, an unverified rollback blocks.
# custom:
#   code: rollback.unverified
#   severity: deny
deny contains result if {
	rollback_available
	not rollback_verified
	environment in deny_unverified_rollback_in
	result := unverified_rollback
}

unverified_rollback := finding(
	"rollback.unverified",
	"gate/rollback",
	concat("", ["The rollback for this release in ", quoted(environment), " has not been verified."]),
	"Exercise the rollback (for example a rollback dry run or a rehearsal in a lower environment) and report rollback.verified: true.",
	[],
)

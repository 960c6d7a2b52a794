package releasepassport.gate

# METADATA
# title: Evidence failed
# description: Any evidence item for this release with status "failed" or "error" blocks it.
# custom:
#   code: evidence.failed
#   severity: deny
deny contains result if {
	items := [item | some item in evidence_items; item.status in {"failed", "error"}]
	count(items) > 0
	result := finding(
		"evidence.failed",
		"gate/evidence",
		concat("", ["Evidence did not pass: ", describe(items), "."]),
		"Fix what the failing checks report and re-run them for this release; a newer passed result replaces the failed one.",
		items,
	)
}

# METADATA
# title: Required evidence missing
# description: |
#   Every evidence type that config evidence.required lists for the environment needs a passed
#   item. One finding per missing type.
# custom:
#   code: evidence.required_missing
#   severity: deny
deny contains result if {
	some type in required_types
	not passed_types[type]
	others := [item | some item in evidence_items; item.type == type]
	result := finding(
		"evidence.required_missing",
		"gate/evidence",
		concat("", ["Required evidence ", quoted(type), " for ", quoted(environment), " has no passed result for this release."]),
		concat("", ["Run the ", text(type), " check against this release and report it with status \"passed\"."]),
		others,
	)
}

passed_types contains item.type if {
	some item in evidence_items
	item.status == "passed"
}

# METADATA
# title: Required evidence is stale
# description: |
#   A required evidence type whose passed items are all older than the environment's maximum
#   age (config evidence.max_age_seconds[environment], else evidence.max_age_seconds.default).
#   An item without a numeric ageSeconds counts as stale.
# custom:
#   code: evidence.stale
#   severity: deny
deny contains result if {
	max_age := max_age_seconds
	some type in required_types
	items := [item | some item in evidence_items; item.type == type; item.status == "passed"]
	count(items) > 0
	every item in items {
		not fresh(item, max_age)
	}
	result := finding(
		"evidence.stale",
		"gate/evidence",
		concat("", ["Required evidence ", quoted(type), " for ", quoted(environment), " is older than the maximum age of ", text(max_age), " seconds."]),
		concat("", ["Re-run the ", text(type), " check against this release so that a recent passed result exists."]),
		items,
	)
}

fresh(item, max_age) if {
	is_number(item.ageSeconds)
	item.ageSeconds <= max_age
}

# METADATA
# title: Evidence reported warnings
# description: Evidence items with status "warning" do not block, but are surfaced.
# custom:
#   code: evidence.warning
#   severity: warn
warn contains result if {
	items := [item | some item in evidence_items; item.status == "warning"]
	count(items) > 0
	result := finding(
		"evidence.warning",
		"gate/evidence",
		concat("", ["Evidence passed with warnings: ", describe(items), "."]),
		"Review the warnings in the evidence timeline and fix or accept them.",
		items,
	)
}

package releasepassport.gate

# METADATA
# title: Target is not healthy
# description: |
#   When the pipeline asks for a healthy target (health.requireHealthyTarget), the target
#   must report ready before anything is promoted to it.
# custom:
#   code: health.target_not_ready
#   severity: deny
deny contains result if {
	input.request.health.requireHealthyTarget == true
	not input.request.health.ready == true
	result := finding(
		"health.target_not_ready",
		"gate/health",
		concat("", ["The target environment ", quoted(environment), " is not ready, and this request requires a healthy target."]),
		"Restore the target's health (check its readiness probes and current rollout), then re-run the gate.",
		[],
	)
}

package releasepassport.gate_test

test_target_not_ready_when_healthy_target_required if {
	finding := found(with_request({"health": {"ready": false}}), "deny", "health.target_not_ready")
	finding.policy == "gate/health"
	contains(finding.message, `"production"`)
}

test_target_not_ready_when_readiness_is_absent if {
	doc := with_request({"health": {"ready": null}})
	"health.target_not_ready" in deny_codes(doc)
}

test_unready_target_allowed_when_not_required if {
	doc := with_request({"health": {"ready": false, "requireHealthyTarget": false}})
	deny_codes(doc) == []
	warn_codes(doc) == []
}

test_ready_target_passes if {
	not "health.target_not_ready" in deny_codes(passing)
}

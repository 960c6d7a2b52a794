package releasepassport.gate_test

import data.releasepassport.gate

test_failed_and_errored_evidence_blocks if {
	doc := with_evidence([
		evidence_item("ev_smoke", "smoke", "passed"),
		evidence_item("ev_sast", "sast", "passed"),
		evidence_item("ev_e2e", "e2e", "failed"),
		evidence_item("ev_trivy", "trivy", "error"),
	])
	deny_codes(doc) == ["evidence.failed"]
	finding := found(doc, "deny", "evidence.failed")
	finding.policy == "gate/evidence"
	finding.evidence == ["ev_e2e", "ev_trivy"]
	contains(finding.message, "e2e from github_actions")
	contains(finding.message, "trivy from github_actions")
}

test_passed_skipped_and_warning_evidence_do_not_count_as_failed if {
	doc := with_evidence([
		evidence_item("ev_smoke", "smoke", "passed"),
		evidence_item("ev_sast", "sast", "passed"),
		evidence_item("ev_lint", "lint", "warning"),
		evidence_item("ev_perf", "perf", "skipped"),
	])
	deny_codes(doc) == []
}

test_required_missing_one_finding_per_type if {
	doc := with_evidence([])
	deny_codes(doc) == ["evidence.required_missing", "evidence.required_missing"]
	messages := {finding.message | some finding in decide(doc).deny}
	some smoke in messages
	contains(smoke, `"smoke"`)
	some sast in messages
	contains(sast, `"sast"`)
}

test_required_missing_when_only_non_passed_items_exist if {
	doc := with_evidence([evidence_item("ev_smoke", "smoke", "skipped"), evidence_item("ev_sast", "sast", "passed")])
	deny_codes(doc) == ["evidence.required_missing"]
	finding := found(doc, "deny", "evidence.required_missing")
	finding.evidence == ["ev_smoke"]
	contains(finding.message, `"smoke"`)
	contains(finding.remediation, "smoke")
}

test_required_missing_has_no_evidence_field_without_items if {
	doc := with_evidence([evidence_item("ev_sast", "sast", "passed")])
	finding := found(doc, "deny", "evidence.required_missing")
	not finding.evidence
}

test_required_depends_on_environment if {
	deny_codes(staging({})) == []
	unconfigured := object.union(with_request({"service": {"environment": "dev"}}), {"evidence": []})
	deny_codes(unconfigured) == []
}

test_stale_when_all_passed_items_are_too_old if {
	old := object.union(evidence_item("ev_smoke_old", "smoke", "passed"), {"ageSeconds": 3601})
	older := object.union(evidence_item("ev_smoke_older", "smoke", "passed"), {"ageSeconds": 90000})
	doc := with_evidence([old, older, evidence_item("ev_sast", "sast", "passed")])
	deny_codes(doc) == ["evidence.stale"]
	finding := found(doc, "deny", "evidence.stale")
	finding.evidence == ["ev_smoke_old", "ev_smoke_older"]
	contains(finding.message, `"smoke"`)
	contains(finding.message, "3600 seconds")
}

test_not_stale_when_one_passed_item_is_fresh if {
	old := object.union(evidence_item("ev_smoke_old", "smoke", "passed"), {"ageSeconds": 90000})
	doc := with_evidence([old, evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed")])
	deny_codes(doc) == []
}

test_not_stale_at_exactly_the_maximum_age if {
	# evidence_item is exactly 3600 seconds old, the default maximum in the test config
	deny_codes(passing) == []
}

test_stale_uses_the_environment_override if {
	# 3600 seconds is fresh under the default maximum, stale under staging's 600
	doc := object.union(with_request({"service": {"environment": "staging"}}), {"evidence": [evidence_item("ev_smoke", "smoke", "passed")]})
	deny_codes(doc) == ["evidence.stale"]
	contains(found(doc, "deny", "evidence.stale").message, "600 seconds")
}

test_stale_when_age_is_not_a_number if {
	item := object.union(evidence_item("ev_smoke", "smoke", "passed"), {"ageSeconds": "recent"})
	doc := with_evidence([item, evidence_item("ev_sast", "sast", "passed")])
	deny_codes(doc) == ["evidence.stale"]
}

test_no_staleness_without_a_maximum_age if {
	old := object.union(evidence_item("ev_smoke", "smoke", "passed"), {"ageSeconds": 999999})
	doc := with_evidence([old, evidence_item("ev_sast", "sast", "passed")])
	no_max_age := {"evidence": {"required": {"production": ["smoke", "sast"]}}}
	result := gate.decision with input as doc with data.releasepassport.config as no_max_age
	result.deny == set()
}

test_stale_applies_only_to_required_types if {
	old := object.union(evidence_item("ev_lint", "lint", "passed"), {"ageSeconds": 999999})
	doc := with_evidence([evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed"), old])
	deny_codes(doc) == []
}

test_warning_evidence_warns if {
	doc := with_evidence([
		evidence_item("ev_smoke", "smoke", "passed"),
		evidence_item("ev_sast", "sast", "passed"),
		evidence_item("ev_lint", "lint", "warning"),
	])
	deny_codes(doc) == []
	warn_codes(doc) == ["evidence.warning"]
	finding := found(doc, "warn", "evidence.warning")
	finding.evidence == ["ev_lint"]
	contains(finding.message, "lint from github_actions")
}

test_no_warning_without_warning_evidence if {
	not "evidence.warning" in warn_codes(passing)
}

test_messages_survive_unexpected_field_types if {
	item := {"id": "ev_odd", "type": 7, "status": "failed"}
	doc := with_evidence([item, evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed")])
	finding := found(doc, "deny", "evidence.failed")
	contains(finding.message, "7 from unknown source")
}

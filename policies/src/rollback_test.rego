package releasepassport.gate_test

test_rollback_unavailable_blocks_in_protected_environment if {
	doc := with_request({"rollback": {"available": false, "verified": false}})
	deny_codes(doc) == ["rollback.unavailable"]
	warn_codes(doc) == []
	finding := found(doc, "deny", "rollback.unavailable")
	finding.policy == "gate/rollback"
	contains(finding.message, `"production"`)
}

test_rollback_unavailable_warns_elsewhere if {
	doc := staging({"rollback": {"available": false, "verified": false}})
	deny_codes(doc) == []
	warn_codes(doc) == ["rollback.unavailable"]
}

test_rollback_unavailable_does_not_also_report_unverified if {
	doc := with_request({"rollback": {"available": false, "verified": false}})
	not "rollback.unverified" in warn_codes(doc)
	not "rollback.unverified" in deny_codes(doc)
}

test_rollback_availability_must_be_true if {
	doc := with_request({"rollback": {"available": "yes"}})
	"rollback.unavailable" in deny_codes(doc)
}

test_rollback_unverified_warns if {
	doc := with_request({"rollback": {"verified": false}})
	deny_codes(doc) == []
	warn_codes(doc) == ["rollback.unverified"]
	contains(found(doc, "warn", "rollback.unverified").message, `"production"`)
}

test_rollback_unverified_blocks_where_configured if {
	doc := object.union(with_request({"service": {"environment": "regulated"}, "rollback": {"verified": false}}), {"evidence": []})
	deny_codes(doc) == ["rollback.unverified"]
	warn_codes(doc) == []
}

test_verified_rollback_passes if {
	not "rollback.unverified" in warn_codes(passing)
	not "rollback.unavailable" in warn_codes(passing)
	staging_codes := warn_codes(staging({}))
	staging_codes == []
}

package releasepassport.gate_test

test_stale_connector_listing_the_environment_warns if {
	doc := with_connectors([{"source": "argo", "freshness": "stale", "environments": ["production"]}])
	warn_codes(doc) == ["connector.stale"]
	finding := found(doc, "warn", "connector.stale")
	finding.policy == "gate/connector"
	contains(finding.message, `"argo"`)
	contains(finding.message, "stale")
	not finding.evidence
}

test_silent_connector_supplying_required_evidence_warns if {
	doc := with_connectors([{"source": "github_actions", "freshness": "silent", "environments": []}])
	warn_codes(doc) == ["connector.stale"]
	finding := found(doc, "warn", "connector.stale")
	contains(finding.message, "silent")
	finding.evidence == ["ev_sast", "ev_smoke"]
}

test_connector_without_environments_field_supplying_required_evidence_warns if {
	doc := with_connectors([{"source": "github_actions", "freshness": "stale"}])
	warn_codes(doc) == ["connector.stale"]
}

test_one_finding_per_stale_connector if {
	doc := with_connectors([
		{"source": "argo", "freshness": "stale", "environments": ["production"]},
		{"source": "github_actions", "freshness": "silent", "environments": ["production"]},
	])
	warn_codes(doc) == ["connector.stale", "connector.stale"]
}

test_stale_connector_for_another_environment_is_ignored if {
	doc := with_connectors([{"source": "argo", "freshness": "stale", "environments": ["staging"]}])
	warn_codes(doc) == []
}

test_stale_connector_supplying_only_optional_evidence_is_ignored if {
	lint := object.union(evidence_item("ev_lint", "lint", "passed"), {"source": "sonar"})
	doc := object.union(passing, {
		"evidence": [evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed"), lint],
		"connectors": [{"source": "sonar", "freshness": "stale", "environments": []}],
	})
	warn_codes(doc) == []
}

test_fresh_and_never_seen_connectors_do_not_warn if {
	doc := with_connectors([
		{"source": "github_actions", "freshness": "fresh", "environments": ["production"]},
		{"source": "argo", "freshness": "never_seen", "environments": ["production"]},
	])
	warn_codes(doc) == []
}

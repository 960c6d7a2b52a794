package releasepassport.gate_test

test_manifest_missing_when_path_absent if {
	doc := json.remove(passing, ["request/release/renderedManifestPath"])
	warn_codes(doc) == ["release.manifest_missing"]
	finding := found(doc, "warn", "release.manifest_missing")
	finding.policy == "gate/release"
}

test_manifest_missing_when_path_blank if {
	every path in ["", "   ", null, 7] {
		warn_codes(with_request({"release": {"renderedManifestPath": path}})) == ["release.manifest_missing"]
	}
}

test_manifest_present_passes if {
	not "release.manifest_missing" in warn_codes(passing)
}

test_source_sha_mismatch_when_request_differs_from_passport if {
	doc := object.union(passing, {"request": {"release": {"sourceSha": "0000000"}}, "evidence": [
		object.union(evidence_item("ev_smoke", "smoke", "passed"), {"sourceSha": "0000000"}),
		object.union(evidence_item("ev_sast", "sast", "passed"), {"sourceSha": "0000000"}),
	]})
	findings := [finding | some finding in decide(doc).deny; finding.code == "release.source_sha_mismatch"]
	count(findings) == 2
	some request_finding in findings
	not request_finding.evidence
	contains(request_finding.message, `"0000000"`)
	contains(request_finding.message, `"9f3c8b7"`)
	some evidence_finding in findings
	evidence_finding.evidence == ["ev_sast", "ev_smoke"]
}

test_source_sha_mismatch_when_evidence_differs_from_passport if {
	doc := with_evidence([
		evidence_item("ev_smoke", "smoke", "passed"),
		object.union(evidence_item("ev_sast", "sast", "passed"), {"sourceSha": "1111111"}),
	])
	deny_codes(doc) == ["release.source_sha_mismatch"]
	found(doc, "deny", "release.source_sha_mismatch").evidence == ["ev_sast"]
}

test_no_source_sha_mismatch_when_everything_matches if {
	not "release.source_sha_mismatch" in deny_codes(passing)
}

test_no_source_sha_mismatch_without_a_recorded_sha if {
	doc := object.union(passing, {"passport": {"sourceSha": null}, "request": {"release": {"sourceSha": "0000000"}}})
	not "release.source_sha_mismatch" in deny_codes(doc)
}

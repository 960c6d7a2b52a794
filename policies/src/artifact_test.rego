package releasepassport.gate_test

test_digest_invalid_for_the_documented_abbreviated_digest if {
	finding := found(with_request({"artifact": {"digest": "sha256:abc123..."}}), "deny", "artifact.digest_invalid")
	finding.policy == "gate/artifact"
	contains(finding.message, `"sha256:abc123..."`)
	not finding.evidence
}

test_digest_invalid_for_malformed_digests if {
	bad := [
		"",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
		"sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		" sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		"registry.example.com/checkout-api:1.2.3",
		"sha256:",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		"SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef:",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd:f",
		"sha256:sha256:0123456789abcdef0123456789abcdef0123456789abcdef012345678",
		# 71 characters but 72 bytes, and 70 characters but 71 bytes: the length check holds
		# whether an evaluator counts characters or bytes, because a non-hex char is left over.
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeé",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdé",
	]
	every digest in bad {
		"artifact.digest_invalid" in deny_codes(with_request({"artifact": {"digest": digest}}))
	}
}

test_digest_invalid_when_digest_is_not_a_string if {
	finding := found(with_request({"artifact": {"digest": 42}}), "deny", "artifact.digest_invalid")
	contains(finding.message, "42")
}

test_digest_invalid_when_digest_is_absent if {
	doc := json.remove(passing, ["request/artifact/digest"])
	"artifact.digest_invalid" in deny_codes(doc)
}

test_well_formed_digest_is_valid if {
	not "artifact.digest_invalid" in deny_codes(passing)
}

test_every_lowercase_hex_digest_is_valid if {
	good := [
		"sha256:0000000000000000000000000000000000000000000000000000000000000000",
		"sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	]
	every digest in good {
		not "artifact.digest_invalid" in deny_codes(with_request({"artifact": {"digest": digest}}))
	}
}

test_digest_invalid_for_every_non_string_type if {
	every digest in [null, true, 71, [], {}, {"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}] {
		"artifact.digest_invalid" in deny_codes(with_request({"artifact": {"digest": digest}}))
	}
}

test_digest_mismatch_when_request_differs_from_passport if {
	doc := object.union(passing, {"passport": {"artifactDigest": other_digest}, "evidence": []})
	finding := found(doc, "deny", "artifact.digest_mismatch")
	contains(finding.message, good_digest)
	contains(finding.message, other_digest)
	not finding.evidence
}

test_digest_mismatch_when_evidence_differs_from_passport if {
	stray := object.union(evidence_item("ev_old", "smoke", "passed"), {"artifactDigest": other_digest})
	doc := with_evidence([evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed"), stray])
	finding := found(doc, "deny", "artifact.digest_mismatch")
	finding.evidence == ["ev_old"]
	contains(finding.message, "smoke from github_actions")
}

test_digest_mismatch_reports_request_and_evidence_separately if {
	doc := object.union(passing, {"request": {"artifact": {"digest": other_digest}}, "evidence": [object.union(evidence_item("ev_x", "smoke", "passed"), {"artifactDigest": other_digest})]})
	deny_codes(doc) == ["artifact.digest_mismatch", "artifact.digest_mismatch", "evidence.required_missing"]
}

test_no_digest_mismatch_when_everything_matches if {
	not "artifact.digest_mismatch" in deny_codes(passing)
}

test_no_digest_mismatch_without_a_recorded_digest if {
	doc := object.union(passing, {"passport": {"artifactDigest": null}, "request": {"artifact": {"digest": other_digest}}})
	not "artifact.digest_mismatch" in deny_codes(doc)
}

test_evidence_without_a_digest_is_not_a_mismatch if {
	item := object.remove(evidence_item("ev_smoke", "smoke", "passed"), ["artifactDigest"])
	doc := with_evidence([item, evidence_item("ev_sast", "sast", "passed")])
	not "artifact.digest_mismatch" in deny_codes(doc)
}

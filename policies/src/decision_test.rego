package releasepassport.gate_test

import data.releasepassport.gate

# Unit tests pin their own parameters, so that teams tuning data.json do not break them.
# (The cases in policies/cases/gate-cases.json run against the shipped data.json.)
config := {
	"protected_environments": ["production"],
	"rollback": {"deny_unverified_in": ["regulated"]},
	"evidence": {
		"required": {"production": ["smoke", "sast"], "staging": ["smoke"]},
		"max_age_seconds": {"default": 3600, "staging": 600},
	},
}

good_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

other_digest := "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

evidence_item(id, type, status) := {
	"id": id,
	"source": "github_actions",
	"type": type,
	"status": status,
	"summary": concat(" ", [type, status]),
	"artifactDigest": good_digest,
	"sourceSha": "9f3c8b7",
	"observedAt": "2025-01-01T11:00:00Z",
	"receivedAt": "2025-01-01T11:00:01Z",
	"ageSeconds": 3600,
}

# A production promotion that every rule lets through.
passing := {
	"request": {
		"mode": "enforce",
		"service": {"name": "checkout-api", "namespace": "apps-checkout", "environment": "production"},
		"artifact": {"digest": good_digest},
		"release": {"releaseId": "gh-123456", "sourceSha": "9f3c8b7", "renderedManifestPath": "rendered/checkout-api.yaml"},
		"health": {"ready": true, "requireHealthyTarget": true},
		"rollback": {"available": true, "verified": true},
	},
	"passport": {
		"id": "pp_01",
		"artifactDigest": good_digest,
		"sourceSha": "9f3c8b7",
		"releaseId": "gh-123456",
		"service": {"name": "checkout-api", "namespace": "apps-checkout"},
	},
	"evidence": [evidence_item("ev_smoke", "smoke", "passed"), evidence_item("ev_sast", "sast", "passed")],
	"connectors": [{"source": "github_actions", "freshness": "fresh", "environments": ["production"]}],
	"now": "2025-01-01T12:00:00Z",
}

# `passing` with some request fields replaced (deep merge).
with_request(patch) := object.union(passing, {"request": patch})

with_evidence(items) := object.union(passing, {"evidence": items})

with_connectors(items) := object.union(passing, {"connectors": items})

# `passing` moved to staging, where only a recent smoke result is required.
staging(patch) := object.union(
	with_request(object.union({"service": {"environment": "staging"}}, patch)),
	{"evidence": [object.union(evidence_item("ev_smoke", "smoke", "passed"), {"ageSeconds": 60})]},
)

decide(doc) := result if {
	result := gate.decision with input as doc with data.releasepassport.config as config
}

deny_codes(doc) := sort([finding.code | some finding in decide(doc).deny])

warn_codes(doc) := sort([finding.code | some finding in decide(doc).warn])

# The single finding with this code among the deny or warn findings for doc.
found(doc, kind, code) := only if {
	matches := [finding | some finding in decide(doc)[kind]; finding.code == code]
	count(matches) == 1
	only := matches[0]
}

test_passing_request_has_no_findings if {
	decide(passing) == {"deny": set(), "warn": set()}
}

test_decision_is_defined_without_evidence_connectors_or_config if {
	doc := object.remove(passing, ["evidence", "connectors"])
	result := gate.decision with input as doc with data.releasepassport.config as null
	is_set(result.deny)
	is_set(result.warn)
	sort([finding.code | some finding in result.deny]) == []
	sort([finding.code | some finding in result.warn]) == []
}

test_null_evidence_and_connectors_are_treated_as_none if {
	doc := object.union(passing, {"evidence": null, "connectors": null})
	deny_codes(doc) == ["evidence.required_missing", "evidence.required_missing"]
	warn_codes(doc) == []
}

test_decision_is_undefined_when_request_is_not_an_object if {
	not gate.decision with input as {"now": "2025-01-01T12:00:00Z"}
	not gate.decision with input as object.union(passing, {"request": "checkout-api"})
}

test_findings_stay_defined_without_an_environment if {
	doc := json.remove(with_request({"health": {"ready": false}, "rollback": {"available": false}}), ["request/service/environment"])
	deny_codes(doc) == ["health.target_not_ready"]
	warn_codes(doc) == ["rollback.unavailable"]
	contains(found(doc, "deny", "health.target_not_ready").message, "null")
}

test_every_finding_has_the_output_shape if {
	doc := object.union(passing, {
		"request": {"artifact": {"digest": "sha256:abc123..."}, "health": {"ready": false}, "rollback": {"verified": false}},
		"evidence": [evidence_item("ev_smoke", "smoke", "failed"), evidence_item("ev_lint", "lint", "warning")],
	})
	result := decide(doc)
	findings := result.deny | result.warn
	count(findings) > 4
	every finding in findings {
		is_string(finding.code)
		startswith(finding.policy, "gate/")
		is_string(finding.message)
		is_string(finding.remediation)
		object.keys(finding) - {"code", "policy", "message", "remediation", "evidence"} == set()
		not_empty_if_present(finding)
	}
}

not_empty_if_present(finding) if not "evidence" in object.keys(finding)

not_empty_if_present(finding) if count(finding.evidence) > 0

test_shipped_config_is_well_formed if {
	shipped := data.releasepassport.config
	every env in shipped.protected_environments {
		is_string(env)
	}
	every env in shipped.rollback.deny_unverified_in {
		is_string(env)
	}
	every env, types in shipped.evidence.required {
		is_string(env)
		is_array(types)
		every type in types {
			is_string(type)
		}
	}
	is_number(shipped.evidence.max_age_seconds.default)
	every env, age in shipped.evidence.max_age_seconds {
		is_string(env)
		is_number(age)
		age > 0
	}
}

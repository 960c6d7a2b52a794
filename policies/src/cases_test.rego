package releasepassport.gate_test

import data.releasepassport.gate

# Runs policies/cases/gate-cases.json, loaded as data.releasepassport.cases
# (opa test ... releasepassport.cases:policies/cases/gate-cases.json, as npm run policies:test does).
# The other evaluation paths (opa-wasm in packages/core, the HTTP server) run the same file.

# A case's optional "data" replaces the named top-level keys of the shipped config (a shallow
# merge); every path that runs the cases must merge the same way.
case_config(case) := object.union(object.remove(data.releasepassport.config, object.keys(case.data)), case.data)

case_config(case) := data.releasepassport.config if not "data" in object.keys(case)

# One entry per finding, sorted; duplicates are kept (two missing types are two findings).
codes(findings) := sort([finding.code | some finding in findings])

case_failures contains failure if {
	some case in data.releasepassport.cases
	case_data := case_config(case)
	result := gate.decision with input as case.input with data.releasepassport.config as case_data
	got := {"deny": codes(result.deny), "warn": codes(result.warn)}
	got != {"deny": case.expect.deny, "warn": case.expect.warn}
	failure := {"case": case.name, "expected": case.expect, "got": got}
}

case_failures contains failure if {
	some case in data.releasepassport.cases
	case_data := case_config(case)
	not gate.decision with input as case.input with data.releasepassport.config as case_data
	failure := {"case": case.name, "expected": case.expect, "got": "undefined decision"}
}

test_gate_cases_are_loaded if {
	# Fails rather than passing vacuously when the cases file was not given to opa test.
	print("load the cases with: opa test policies/src releasepassport.cases:policies/cases/gate-cases.json")
	count(data.releasepassport.cases) >= 30
}

test_gate_cases_have_unique_names_and_sorted_expectations if {
	names := {case.name | some case in data.releasepassport.cases}
	count(names) == count(data.releasepassport.cases)
	every case in data.releasepassport.cases {
		case.expect.deny == sort(case.expect.deny)
		case.expect.warn == sort(case.expect.warn)
	}
}

test_gate_cases if {
	every failure in case_failures {
		print("gate case failed:", failure)
	}
	count(case_failures) == 0
}

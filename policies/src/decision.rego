# METADATA
# title: Release Passport gate
# description: |
#   Decides whether a release may be promoted to an environment. Every rule group adds
#   findings to `deny` (blockers) or `warn` (warnings); `decision` returns both.
#   Parameters come from data.releasepassport.config (policies/src/data.json), never from rules.
package releasepassport.gate

# METADATA
# title: Gate decision
# description: |
#   The entrypoint (releasepassport/gate/decision). Defined, as an object of two sets, whenever
#   input.request is an object; left undefined otherwise so that the host reports an `error`
#   verdict for a malformed input instead of judging it.
# entrypoint: true
decision := {"deny": deny, "warn": warn} if is_object(input.request)

# Parameters. Missing keys mean "not configured": nothing protected, nothing required, no maximum age.

default config := {}

config := data.releasepassport.config if is_object(data.releasepassport.config)

protected_environments := {env | some env in object.get(config, "protected_environments", [])}

deny_unverified_rollback_in := {env | some env in object.get(config, ["rollback", "deny_unverified_in"], [])}

# null when absent, so that messages naming the environment stay defined.
default environment := null

environment := input.request.service.environment

required_types := {type | some type in object.get(config, ["evidence", "required", environment], [])}

# The environment's own maximum age, else the default one; undefined when neither is a number.
max_age_seconds := age if {
	ages := object.get(config, ["evidence", "max_age_seconds"], {})
	age := object.get(ages, environment, object.get(ages, "default", null))
	is_number(age)
}

# Absent (or non-array) evidence and connectors are treated as none.

default evidence_items := []

evidence_items := input.evidence if is_array(input.evidence)

default connectors := []

connectors := input.connectors if is_array(input.connectors)

# Findings. `evidence` is present only when the finding rests on some evidence items.

finding(code, policy, message, remediation, items) := result if {
	ids := evidence_ids(items)
	count(ids) > 0
	result := {"code": code, "policy": policy, "message": message, "remediation": remediation, "evidence": ids}
}

finding(code, policy, message, remediation, items) := result if {
	count(evidence_ids(items)) == 0
	result := {"code": code, "policy": policy, "message": message, "remediation": remediation}
}

evidence_ids(items) := sort({item.id | some item in items; is_string(item.id)})

# Message helpers that are defined for any value, so a finding can never vanish because a
# field it mentions has an unexpected type.

text(value) := value if is_string(value)

text(value) := json.marshal(value) if not is_string(value)

quoted(value) := json.marshal(value)

# "smoke from github_actions, trivy from scanner", sorted, for messages about several items.
describe(items) := concat(", ", sort({label |
	some item in items
	label := concat("", [text(object.get(item, "type", "unknown type")), " from ", text(object.get(item, "source", "unknown source"))])
}))

package releasepassport.gate

# METADATA
# title: Connector behind this environment's evidence is stale
# description: |
#   A connector that is "stale" or "silent" and that supplies this environment's required
#   evidence (it lists the environment, or it is the source of a required-type item here):
#   what it reported may be out of date.
# custom:
#   code: connector.stale
#   severity: warn
warn contains result if {
	some connector in connectors
	connector.freshness in {"stale", "silent"}
	serves_environment(connector)
	items := [item |
		some item in evidence_items
		item.source == connector.source
		item.type in required_types
	]
	result := finding(
		"connector.stale",
		"gate/connector",
		concat("", ["Connector ", quoted(object.get(connector, "source", null)), " is ", text(connector.freshness), " and supplies required evidence for ", quoted(environment), "."]),
		"Check the connector's credentials and schedule on the Integrations page, then re-run its checks for this release.",
		items,
	)
}

serves_environment(connector) if environment in connector.environments

serves_environment(connector) if {
	some item in evidence_items
	item.source == connector.source
	item.type in required_types
}

package releasepassport.gate

# METADATA
# title: Rendered manifest not recorded
# description: |
#   The request should name the rendered manifest it deploys (release.renderedManifestPath),
#   so the passport records exactly what was applied.
# custom:
#   code: release.manifest_missing
#   severity: warn
warn contains result if {
	not has_rendered_manifest
	result := finding(
		"release.manifest_missing",
		"gate/release",
		"The request does not name the rendered manifest it deploys (release.renderedManifestPath).",
		"Render the manifests in CI and send their path as release.renderedManifestPath.",
		[],
	)
}

has_rendered_manifest if {
	path := input.request.release.renderedManifestPath
	is_string(path)
	trim_space(path) != ""
}

# METADATA
# title: Requested source differs from the release's source
# description: |
#   A release is pinned to the source commit it was first seen with (the passport).
#   A gate request for another commit is a blocker, not a silent overwrite.
# custom:
#   code: release.source_sha_mismatch
#   severity: deny
deny contains result if {
	recorded := input.passport.sourceSha
	is_string(recorded)
	requested := input.request.release.sourceSha
	requested != recorded
	result := finding(
		"release.source_sha_mismatch",
		"gate/release",
		concat("", ["Requested source commit ", quoted(requested), " differs from ", quoted(recorded), ", the commit this release was first seen with."]),
		"Promote the commit this release was built from, or cut a new release (new releaseId) for the new commit.",
		[],
	)
}

# METADATA
# title: Evidence is about another source commit
# description: |
#   Evidence reported for this release must be about the source commit the release was first
#   seen with.
# custom:
#   code: release.source_sha_mismatch
#   severity: deny
deny contains result if {
	recorded := input.passport.sourceSha
	is_string(recorded)
	items := [item |
		some item in evidence_items
		is_string(item.sourceSha)
		item.sourceSha != recorded
	]
	count(items) > 0
	result := finding(
		"release.source_sha_mismatch",
		"gate/release",
		concat("", ["Evidence ", describe(items), " was reported for another source commit than ", quoted(recorded), ", the commit this release was first seen with."]),
		"Re-run the checks against the release's commit and report them with its sha, or cut a new release for the new commit.",
		items,
	)
}

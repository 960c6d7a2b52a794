package releasepassport.gate

# METADATA
# title: Artifact digest is malformed
# description: |
#   The requested artifact digest must be "sha256:" followed by exactly 64 lowercase hex
#   characters, so that the release is pinned to one immutable artifact.
# custom:
#   code: artifact.digest_invalid
#   severity: deny
deny contains result if {
	digest := object.get(input.request, ["artifact", "digest"], null)
	not valid_digest(digest)
	result := finding(
		"artifact.digest_invalid",
		"gate/artifact",
		concat("", ["Artifact digest ", quoted(digest), " is not a sha256 digest (\"sha256:\" followed by 64 lowercase hex characters)."]),
		"Send the full immutable digest of the artifact being promoted (for example from the registry push output), not a tag or an abbreviated digest.",
		[],
	)
}

# Same decision as regex.match(`^sha256:[0-9a-f]{64}$`, digest), without a regex: opa-wasm
# compiles a regex.match pattern on every evaluation, which was about half of the bundle's
# evaluation time. trim_right strips the trailing run of lowercase hex; what is left must be
# exactly the prefix (whose last char, ":", is not hex), so everything after it is lowercase
# hex, which is ASCII, so the length in characters is 7 + 64 on every evaluator.
valid_digest(digest) if {
	is_string(digest)
	count(digest) == 71
	trim_right(digest, "0123456789abcdef") == "sha256:"
}

# METADATA
# title: Requested artifact differs from the release's artifact
# description: |
#   A release is pinned to the artifact digest it was first seen with (the passport).
#   A gate request for another digest is a blocker, not a silent overwrite.
# custom:
#   code: artifact.digest_mismatch
#   severity: deny
deny contains result if {
	recorded := input.passport.artifactDigest
	is_string(recorded)
	requested := input.request.artifact.digest
	requested != recorded
	result := finding(
		"artifact.digest_mismatch",
		"gate/artifact",
		concat("", ["Requested artifact digest ", quoted(requested), " differs from ", quoted(recorded), ", the digest this release was first seen with."]),
		"Promote the artifact this release was built with, or cut a new release (new releaseId) for the new artifact.",
		[],
	)
}

# METADATA
# title: Evidence is about another artifact
# description: |
#   Evidence reported for this release must be about the artifact digest the release was first
#   seen with; evidence about another artifact proves nothing about this one.
# custom:
#   code: artifact.digest_mismatch
#   severity: deny
deny contains result if {
	recorded := input.passport.artifactDigest
	is_string(recorded)
	items := [item |
		some item in evidence_items
		is_string(item.artifactDigest)
		item.artifactDigest != recorded
	]
	count(items) > 0
	result := finding(
		"artifact.digest_mismatch",
		"gate/artifact",
		concat("", ["Evidence ", describe(items), " was reported for another artifact digest than ", quoted(recorded), ", the digest this release was first seen with."]),
		"Re-run the checks against the release's artifact and report them with its digest, or cut a new release for the new artifact.",
		items,
	)
}

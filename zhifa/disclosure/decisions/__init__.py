"""Publication of enforcement decisions (事后公开, issue 12, ADR 0044): drafts made when a case reaches a decision,
masks and their log, internal review, publication as a `PublicEntry` snapshot, correction and withdrawal."""

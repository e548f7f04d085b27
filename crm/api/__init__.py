"""The REST API's shared plumbing (README, "API"): authentication by session or personal token, permissions,
per-token rate limits, problem+json errors, cursor pagination, the schema's common parts.

Each app exposes its own resources next to its services (`crm.api.customers`, `visits.api`, `claims.api`,
`crm.complaints.api`), through the same services, permission functions and `visible_to` QuerySets as its pages;
the project's URLconf mounts them all under /api/v1/.
"""

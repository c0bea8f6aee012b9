// The names of the migrations this build knows, in order: what start-up compares with the database's record of applied
// migrations (src/store/database.ts `upToDate`) without loading the migrations themselves, which need Kysely.
// src/store/migrations.ts is typed by this list, so the compiler holds the two equal.
export const MIGRATION_NAMES = [
  '0001_spine',
  '0002_workspaces',
  '0003_executions',
  '0004_approvals',
  '0005_mask_profile_env_in_events',
  '0006_retention',
  '0007_tokens',
  '0008_terminals',
  '0009_project_config',
] as const;

export type MigrationName = (typeof MIGRATION_NAMES)[number];

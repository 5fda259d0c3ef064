/** The archives the help examples name: the runbook's deleted instance and the new one. */
export const EXAMPLE_ARCHIVES = {
  old: 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/',
  new: 's3://our-postgresql-backups/backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/',
} as const;

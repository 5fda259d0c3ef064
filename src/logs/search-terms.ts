/** What the finder searches the logs for: phrases pushed down to Elasticsearch, terms scanned for in files. */

/** Phrases that identify the lines the finder needs (pushed down to Elasticsearch). */
export const PHRASES = [
  'remove-node.perform',
  'remove-random-node.perform',
  'deprovision.start',
  'provision.start',
  'provision.running.success',
  'update-recreation-data',
  'restore.done',
  'add-node.perform',
  'haproxy.cfg has been updated',
  'PATRONI_SCOPE',
  'public address',
  'public :5432 address',
  'looking up public host',
  'action=push-wal',
  'basebackups_005',
  'sysids/sysid',
];

/**
 * Literal terms for the byte scan of files when looking for a deleted instance: broker lines
 * (lager JSON), confd's haproxy reloads and wal-e uploads. Nodes and their cells then come
 * from the broker's own lines.
 * Fewer and broader than PHRASES because each term costs a pass over the data, and each
 * starts with a byte that is rare in syslog, so the search can skip ahead with memchr.
 */
export const SCAN_TERMS = ['{"timestamp"', 'Target', '/wal/'];
/** The new instance's facts also need container creation (PATRONI_SCOPE) and "public address" lines. */
export const INSTANCE_SCAN_TERMS = [...SCAN_TERMS, 'PATRON', 'public '];

/** What the finder searches the logs for: phrases pushed down to Elasticsearch, terms scanned for in files. */
import { BROKER_ACTIONS } from '../adapters/log-payload.js';
import type { ScanTerm } from '../core/log-source.js';

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
 * (lager JSON) of the actions the finder reads, confd's lines about haproxy.cfg and wal-e
 * uploads. Nodes and their cells then come from the broker's own lines.
 * Fewer and broader than PHRASES because each term costs a pass over the data (searched from its
 * rarest byte: `haproxy.cfg` from its `y`, where `Target` would stop at every `T`). A broker line
 * counts only with one of its actions in it, checked before it is decoded: the broker's chatter
 * (catalog requests, mostly) costs no parsing.
 */
export const SCAN_TERMS: ScanTerm[] = [{ term: '{"timestamp"', onlyWith: BROKER_ACTIONS }, 'haproxy.cfg', '/wal/'];
/** The new instance's facts also need container creation (PATRONI_SCOPE) and "public address" lines. */
export const INSTANCE_SCAN_TERMS: ScanTerm[] = [...SCAN_TERMS, 'PATRON', 'public '];

/** What the finder searches the logs for: phrases pushed down to Elasticsearch, terms scanned for in files. */
import { BROKER_ACTIONS } from '../adapters/log-payload.js';
import type { ScanTerm } from '../core/log-source.js';

/**
 * Phrases pushed down to Elasticsearch, which match only whole words there: Logsearch analyses its
 * text with the standard analyzer (Unicode word boundaries, lower-cased), where a dot between
 * letters joins a word and a hyphen splits one, so the broker's `dingo-postgresql-broker.deprovision.start`
 * is indexed as `dingo | postgresql | broker.deprovision.start` and no phrase of its action can
 * match it. So the broker's lines are asked for by their lager `source` (`"source":"dingo-postgresql-broker"`
 * is the words `dingo postgresql broker`), the others by phrases whose every word stands alone in
 * the line; what comes back is held to the scan terms below on our side, as a file's lines are.
 * A GUID is five words (`6e101b27 | ee1b | 4f4d | a032 | 4401a3709ec3`), so it is a phrase too.
 */
export const PHRASES = [
  // The broker's lager lines, both generations' sources.
  'dingo-postgresql-broker',
  'patroni-broker',
  // confd's haproxy update, cf-containers-broker's Create options, the container's own lines.
  'haproxy.cfg has been updated',
  'PATRONI_SCOPE',
  'public address',
  'public :5432 address',
  // `host:port` is one word: a colon between letters does not split one.
  'looking up public',
  // wal-e's uploads and the archive's layout.
  'action=push-wal',
  'basebackups_005',
  'sysids/sysid',
];

/**
 * Phrases of the broker's lines that name an instance or give its org and space, asked of
 * Elasticsearch whenever they were logged (an instance is named when it is provisioned, often long
 * before the deletion searched for): the name line (`…provision.lookup-service-name.update-recreation-data.saved`
 * holds the words `recreation data.saved`), a cluster record's org and space (`organization_guid`, one
 * word: an underscore joins) and the recreation data's name (`service_instance_name`).
 */
export const DESCRIBING_PHRASES = ['recreation data.saved', 'organization_guid', 'service_instance_name'];

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

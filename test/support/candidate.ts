/** A deleted-instance candidate as the finder hands it to the choice: nothing proven unless `over` says so. */
import type { Candidate } from '../../src/logs/types.js';

export function candidate(guid: string, over: Partial<Candidate> = {}): Candidate {
  const archivePrefix = over.archivePrefix === undefined ? `s3://b/backups/${guid}/wal/` : over.archivePrefix;
  return {
    instanceGuid: guid,
    serviceName: null,
    nameFrom: null,
    spaceGuid: null,
    orgGuid: null,
    spaceFrom: null,
    inGivenSpace: false,
    createdAt: null,
    deletedAt: '2016-03-17T06:10:17.897Z',
    archivePrefix,
    archivePrefixes: archivePrefix ? [archivePrefix] : [],
    lastWalUploadAt: null,
    lastWalPushAt: null,
    nodes: [],
    size: { seen: 0, recorded: null, removedAtDeletion: 0 },
    confidence: 'low',
    evidence: [],
    ...over,
  };
}

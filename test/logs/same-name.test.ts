/**
 * Two tenants gave a service the same name, and both deleted it: only genuine broker and container
 * lines, as the platform writes them. The finder ranks and the choice settles by what proves each
 * instance's space: a name alone (the broker's name line carries no space) never makes the user's.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeletedInstance } from '../../src/logs/find.js';
import { settle } from '../../src/logs/choice.js';
import { brokerRecord, walUpload } from '../support/forged-lines.js';
import { BUCKET, CELL_HOST as CELL } from '../support/live/shared.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const ROUTER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';
const ORG = '2f2a3c9e-4f1d-4a7c-9a57-0b2c7d1e6a10';
const USERS_SPACE = '5a84d315-8c5e-4d2b-9d3c-6f1e2a7b9c40';
const OTHER_SPACE = '9d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6';
const OTHER_ORG = '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
const USER = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const TENANT = 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e';
const USER_NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const TENANT_NODE = 'f3e4d5c6-b7a8-4990-8a1b-2c3d4e5f6a7b';

/** A line of the 2016 broker (patroni-broker) at `t` seconds of the epoch. */
function broker(t: number, message: string, data: Record<string, unknown>): string {
  return `${syslogTime(t)} ${ROUTER} broker.stdout.log:  ${brokerRecord(t + 0.5, message, data, 'patroni-broker')}`;
}
function syslogTime(t: number): string {
  const d = new Date(t * 1000);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}
/** A container's wal-e upload line (the 2016 image puts no scope before its lines). */
function wal(t: number, node: string, guid: string): string {
  return `${syslogTime(t)} ${CELL} docker/cf-${node}:  patroni> ${walUpload(`s3://${BUCKET}/backups/${guid}/wal/`)}`;
}

const T0 = Date.UTC(2016, 2, 14) / 1000;
const HOUR = 3600;

interface Life {
  guid: string;
  node: string;
  /** The broker's provision record, naming the org and space, or none in the logs searched. */
  space: { org: string; space: string } | null;
  /** The broker's name line (it carries no space). */
  named: boolean;
  created: number;
  deleted: number;
}

/** One instance's life as the 2016 broker and its container log it. */
function life(i: Life): string[] {
  const lines: string[] = [];
  if (i.space)
    lines.push(
      broker(i.created, 'cluster.provision.running.success', {
        cluster: { instance_id: i.guid, organization_guid: i.space.org, space_guid: i.space.space, node_count: 1 },
      }),
    );
  if (i.named)
    lines.push(
      broker(i.created + 60, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': i.guid, name: 'important-db' }),
    );
  lines.push(wal(i.created + 600, i.node, i.guid), wal(i.deleted - 600, i.node, i.guid));
  lines.push(
    broker(i.deleted, 'cluster.remove-node.perform', {
      backend: '10.58.111.150',
      'instance-id': i.guid,
      'node-uuid': i.node,
      session: '7',
    }),
  );
  return lines;
}

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logs-same-name-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The finder on LINES, given the user's space GUID, or none (null). */
async function find(lines: string[], spaceGuid: string | null = USERS_SPACE) {
  const dir = join(root, `case-${++n}`);
  await mkdir(dir);
  const file = join(dir, 'syslog');
  await writeFile(file, lines.sort((a, b) => a.localeCompare(b)).join('\n') + '\n');
  await utimes(file, new Date('2016-03-18T00:00:00Z'), new Date('2016-03-18T00:00:00Z'));
  return findDeletedInstance({
    redactor: new Redactor(),
    sources: openLogSource({ paths: [dir] }),
    serviceName: 'important-db',
    org: 'acme',
    space: 'important-space',
    spaceGuid: spaceGuid ?? undefined,
  });
}

const MINE = { org: ORG, space: USERS_SPACE };
const THEIRS = { org: OTHER_ORG, space: OTHER_SPACE };
const OLDER = { created: T0, deleted: T0 + 30 * HOUR };
const NEWER = { created: T0 + 40 * HOUR, deleted: T0 + 50 * HOUR };

describe('the same name deleted in two spaces', () => {
  const cases: {
    title: string;
    user: Omit<Life, 'guid' | 'node'>;
    tenant: Omit<Life, 'guid' | 'node'> | null;
    /** The candidates, in rank order, with their confidence. */
    ranked: [string, string][];
    setAside: string[];
    settles: string | null;
  }[] = [
    {
      title: 'space known for both: the other tenant is set aside, the user settles',
      user: { space: MINE, named: true, ...OLDER },
      tenant: { space: THEIRS, named: true, ...NEWER },
      ranked: [[USER, 'high']],
      setAside: [TENANT],
      settles: USER,
    },
    {
      title: "the user's known, the other's unknown: both offered, the user's first, nothing settled",
      user: { space: MINE, named: true, ...NEWER },
      tenant: { space: null, named: true, ...OLDER },
      ranked: [
        [USER, 'medium'],
        [TENANT, 'medium'],
      ],
      setAside: [],
      settles: null,
    },
    {
      title: 'both unknown: both offered, the newest first, nothing settled',
      user: { space: null, named: true, ...OLDER },
      tenant: { space: null, named: true, ...NEWER },
      ranked: [
        [TENANT, 'medium'],
        [USER, 'medium'],
      ],
      setAside: [],
      settles: null,
    },
    {
      title: "the user's in the right space but older, the other tenant's newer: the user's ranks first, nothing settled",
      user: { space: MINE, named: true, ...OLDER },
      tenant: { space: null, named: true, ...NEWER },
      ranked: [
        [USER, 'medium'],
        [TENANT, 'medium'],
      ],
      setAside: [],
      settles: null,
    },
    {
      title: "the 2016 incident: the user's instance has no name line, the other tenant's newer one has: nothing settled",
      user: { space: MINE, named: false, ...OLDER },
      tenant: { space: null, named: true, ...NEWER },
      ranked: [
        [TENANT, 'medium'],
        [USER, 'low'],
      ],
      setAside: [],
      settles: null,
    },
    {
      title: 'the other tenant alone, space unknown: offered, never settled',
      user: { space: null, named: false, created: T0 - 90 * HOUR, deleted: T0 - 80 * HOUR },
      tenant: { space: null, named: true, ...NEWER },
      ranked: [
        [TENANT, 'medium'],
        [USER, 'low'],
      ],
      setAside: [],
      settles: null,
    },
  ];

  it.each(cases)('$title', async ({ user, tenant, ranked, setAside, settles }) => {
    const lines = life({ guid: USER, node: USER_NODE, ...user });
    if (tenant) lines.push(...life({ guid: TENANT, node: TENANT_NODE, ...tenant }));
    const r = await find(lines);
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual(ranked);
    expect(r.otherSpace.map((o) => o.instanceGuid)).toEqual(setAside);
    expect(settle(r.candidates, 'important-db').candidate?.instanceGuid ?? null).toBe(settles);
    for (const c of r.candidates) {
      const known = c.instanceGuid === USER ? user.space : tenant?.space;
      expect(c.spaceGuid).toBe(known?.space ?? null);
      expect(c.inGivenSpace).toBe(known?.space === USERS_SPACE);
      expect(c.spaceFrom).toBe(known ? "the broker's provision record in the logs" : null);
      if (!known)
        expect(c.evidence.map((e) => e.why)).toContain(
          `no clusterdata record or broker record of its org and space was found: nothing proves it belonged to space ${USERS_SPACE}`,
        );
    }
  });

  it('says why an instance of another space was set aside, and names it in the notes', async () => {
    const r = await find([
      ...life({ guid: USER, node: USER_NODE, space: MINE, named: true, ...OLDER }),
      ...life({ guid: TENANT, node: TENANT_NODE, space: THEIRS, named: true, ...NEWER }),
    ]);
    expect(r.otherSpace).toEqual([
      {
        instanceGuid: TENANT,
        serviceName: 'important-db',
        why: `the broker's provision record in the logs puts it in space ${OTHER_SPACE}, not the user's space ${USERS_SPACE}: another tenant's instance is never restored as the user's`,
      },
    ]);
    expect(r.searched.notes).toContain(
      "1 deleted instance(s) of another org or space were left out: another tenant's instance is never the user's",
    );
    const user = r.candidates[0]!;
    expect(user.orgGuid).toBe(ORG);
    expect(user.createdAt).toBe(new Date((T0 + 0.5) * 1000).toISOString());
    expect(user.evidence.map((e) => e.why)).toContain(`the broker's provision record puts this instance in space ${USERS_SPACE}`);
  });

  describe('without the space GUID', () => {
    const rival = (r: Awaited<ReturnType<typeof find>>): string[] =>
      r.candidates[0]!.evidence.map((e) => e.why).filter((why) => why.includes('may be another tenant'));

    it.each([
      ['in two known spaces', MINE, THEIRS],
      ["one's space unknown", MINE, null],
      ['both spaces unknown', null, null],
    ] as const)('two instances of the name %s: neither is high, and the first says why', async (_title, mine, theirs) => {
      const r = await find(
        [
          ...life({ guid: USER, node: USER_NODE, space: mine, named: true, ...OLDER }),
          ...life({ guid: TENANT, node: TENANT_NODE, space: theirs, named: true, ...NEWER }),
        ],
        null,
      );
      expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([
        [TENANT, 'medium'],
        [USER, 'medium'],
      ]);
      expect(settle(r.candidates, 'important-db').candidate ?? null).toBeNull();
      expect(rival(r)).toEqual([
        `1 other deleted instance(s) named "important-db" (${USER}, ${mine ? `space ${mine.space}` : 'its space unknown'}) may be another tenant's, and no space was given to tell them apart: give --space-guid (cf space SPACE --guid prints it)`,
      ]);
    });

    it('two instances of the name in one proven space: the later is high', async () => {
      const r = await find(
        [
          ...life({ guid: USER, node: USER_NODE, space: MINE, named: true, ...NEWER }),
          ...life({ guid: TENANT, node: TENANT_NODE, space: MINE, named: true, ...OLDER }),
        ],
        null,
      );
      expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([
        [USER, 'high'],
        [TENANT, 'medium'],
      ]);
      expect(rival(r)).toEqual([]);
    });
  });
});

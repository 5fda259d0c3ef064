/** The swap's checks, shared by `archive swap`, the runbook's archive steps and the preflight. */
import { describe, expect, it } from 'vitest';
import { archiveActions } from '../../src/actions/archive.js';
import { checkSwap, preflightSwap } from '../../src/archive/swap.js';
import type { StepContext } from '../../src/engine/executor/index.js';
import { StepFailed, UsageError } from '../../src/core/errors.js';
import { DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { createS3Store } from '../../src/systems/s3/index.js';
import type { ObjectStore } from '../../src/core/seams.js';
import { useProxiedMoto } from '../support/proxied-moto.js';
import { fingerprint, seedArchive } from '../support/archive-fixture.js';
import { testRuntime } from '../support/runtime.js';

const OLD = 'backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
const NEW = 'backups/78218ded-7d88-4d69-bd44-6f478c300134/wal/';
const STAMP = '20260317T180520Z';
const Q = `backups/78218ded-7d88-4d69-bd44-6f478c300134/wal.quarantine-${STAMP}/`;

const s3 = useProxiedMoto('check');

async function seeded(): Promise<string> {
  const bucket = await s3.bucket();
  await seedArchive(s3.moto.store, bucket, OLD, { segments: 4, backups: ['base_000000010000000000000002_00000040'], sysid: '1' });
  await seedArchive(s3.moto.store, bucket, NEW, { segments: 2, backups: ['base_000000010000000000000002_00000028'], sysid: '2' });
  return bucket;
}

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('checkSwap', () => {
  it('accepts apart archives and their quarantine, in one bucket or two', () => {
    expect(checkSwap('s3://bucket-a/' + OLD, 's3://bucket-a/' + NEW, 's3://bucket-a/' + Q)).toEqual({
      source: { bucket: 'bucket-a', prefix: OLD },
      target: { bucket: 'bucket-a', prefix: NEW },
      quarantine: { bucket: 'bucket-a', prefix: Q },
    });
    // The same prefix in another bucket is another archive.
    expect(checkSwap('s3://bucket-a/' + NEW, 's3://bucket-b/' + NEW).quarantine).toBeNull();
  });

  it('refuses overlapping source, target and quarantine, and a quarantine in another bucket', () => {
    const cases: [unknown, string][] = [
      [
        thrown(() => checkSwap('s3://bucket-a/' + OLD, `s3://bucket-a/${OLD}wal_005/`)),
        `the target overlaps the source archive s3://bucket-a/${OLD}`,
      ],
      [
        thrown(() => checkSwap('s3://bucket-a/backups/', 's3://bucket-a/' + NEW)),
        'the target overlaps the source archive s3://bucket-a/backups/',
      ],
      // An earlier quarantine swapped back in, with the same stamp: the move would write into the source.
      [
        thrown(() => checkSwap('s3://bucket-a/' + Q, 's3://bucket-a/' + NEW, 's3://bucket-a/' + Q)),
        'the quarantine overlaps the source archive',
      ],
      [
        thrown(() => checkSwap('s3://bucket-a/' + OLD, 's3://bucket-a/' + NEW, `s3://bucket-a/${NEW}old/`)),
        `the quarantine s3://bucket-a/${NEW}old/ overlaps the target`,
      ],
      [
        thrown(() => checkSwap('s3://bucket-a/' + OLD, 's3://bucket-a/' + NEW, 's3://bucket-b/' + Q)),
        `the quarantine s3://bucket-b/${Q} is not in the target's bucket bucket-a`,
      ],
      [thrown(() => checkSwap('s3://bucket-a/', 's3://bucket-a/' + NEW)), 'has no prefix'],
    ];
    for (const [err, message] of cases) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toContain(message);
      expect((err as UsageError).hint).toBeTruthy();
    }
  });
});

describe('preflightSwap', () => {
  it('lists and reads both archives and names the quarantine, writing nothing', async () => {
    const bucket = await seeded();
    const before = await fingerprint(s3.moto.store, bucket, '');
    const r = await preflightSwap(s3.moto.store, `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW}`, STAMP);
    expect(r.quarantine).toEqual({ bucket, prefix: Q });
    expect(r.facts).toEqual([
      `source s3://${bucket}/${OLD}, target s3://${bucket}/${NEW} and quarantine s3://${bucket}/${Q} do not overlap`,
      expect.stringMatching(/^source: listed 8 object\(s\), read basebackups_005\/\S+ \(\d+ bytes\)$/),
      expect.stringMatching(/^target: listed 6 object\(s\), read /),
    ]);
    expect(await fingerprint(s3.moto.store, bucket, '')).toEqual(before);
  });

  it('says which archive the credentials cannot list or read', async () => {
    const bucket = await seeded();
    const store = createS3Store({ ...s3.moto.options, endpoint: s3.proxy.endpoint, maxAttempts: 1 });
    s3.proxy.clear();
    s3.proxy.inject({ method: 'GET', path: new RegExp(`list-type=2.*prefix=backups%2F78218ded`), status: 403, times: Infinity });
    const listing = await preflightSwap(store, `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW}`, STAMP).catch((e: unknown) => e);
    s3.proxy.clear();
    expect(listing).toBeInstanceOf(StepFailed);
    expect((listing as Error).message).toMatch(
      new RegExp(`^cannot list the target archive s3://${bucket}/${NEW} at .*: access denied to s3://${bucket}/`),
    );
    expect((listing as StepFailed).hint).toMatch(/s3:ListBucket on .*nothing has been changed$/);

    s3.proxy.inject({ method: 'GET', path: new RegExp(`/${bucket}/backups/6e101b27`), status: 403, times: Infinity });
    const reading = await preflightSwap(store, `s3://${bucket}/${OLD}`, `s3://${bucket}/${NEW}`, STAMP).catch((e: unknown) => e);
    s3.proxy.clear();
    expect((reading as Error).message).toMatch(new RegExp(`^cannot read the source archive s3://${bucket}/${OLD}: access denied`));
    expect((reading as StepFailed).hint).toContain('s3:GetObject');

    const empty = await preflightSwap(
      s3.moto.store,
      `s3://${bucket}/backups/00000000-0000-4000-8000-000000000000/wal/`,
      `s3://${bucket}/${NEW}`,
      STAMP,
    ).catch((e: unknown) => e);
    expect((empty as Error).message).toContain('holds no objects');
    await expect(preflightSwap(s3.moto.store, `s3://${bucket}/${NEW}`, `s3://${bucket}/${NEW}`, STAMP)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('the runbook archive steps', () => {
  const action = (name: string) => archiveActions.find((a) => a.name === name)!;

  /** A step context whose cell must not be reached: the checks come before the container check. */
  function context(s3: ObjectStore): StepContext {
    return {
      s3,
      settings: DEFAULT_SETTINGS,
      now: () => new Date('2026-03-17T18:05:20Z'),
      cell: () => Promise.reject(new Error('the cell was reached before the prefixes were checked')),
      note: () => undefined,
      evidence: () => undefined,
      progress: () => undefined,
      runtime: testRuntime(),
    } as unknown as StepContext;
  }

  const untouchable: ObjectStore = new Proxy({} as ObjectStore, {
    get: (_t, prop) =>
      prop === 'where'
        ? 'nowhere'
        : () => {
            throw new Error(`S3 was used (${String(prop)}) before the prefixes were checked`);
          },
  });

  it('refuse overlapping prefixes with the same checks as archive swap, before S3 or the cell', async () => {
    const ctx = context(untouchable);
    const container = { cellIp: '10.0.0.1', container: 'cf-1' };
    const inside = { from: 's3://bucket-a/' + OLD, to: `s3://bucket-a/${OLD}wal_005/` };
    await expect(action('archive.copy').run(ctx, { ...inside, fingerprint: 'x', ...container }, {})).rejects.toThrow(
      /the target overlaps the source archive/,
    );
    await expect(action('archive.verify').run(ctx, inside, {})).rejects.toThrow(/the target overlaps the source archive/);
    await expect(action('archive.quarantine').prepare!(ctx, { url: inside.to, from: inside.from, ...container })).rejects.toThrow(
      /the target overlaps the source archive/,
    );
    // The journaled stamp names a quarantine that is the source.
    const run = action('archive.quarantine').run(
      ctx,
      { url: 's3://bucket-a/' + NEW, from: 's3://bucket-a/' + Q, ...container },
      { stamp: STAMP, objects: [] },
    );
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow('the quarantine overlaps the source archive');
  });

  it('plans the quarantine as the swap does: the target listing, after checking the source is an archive', async () => {
    const bucket = await seeded();
    const ctx = context(s3.moto.store);
    const quarantine = action('archive.quarantine');
    const plan = await quarantine.prepare!(ctx, {
      url: `s3://${bucket}/${NEW}`,
      from: `s3://${bucket}/${OLD}`,
      cellIp: '10.0.0.1',
      container: 'cf-1',
    });
    expect(plan.stamp).toBe('20260317T180520Z');
    expect((plan.objects as { key: string }[]).map((o) => o.key.slice(NEW.length)).sort()).toEqual(
      Object.keys(await fingerprint(s3.moto.store, bucket, NEW)).sort(),
    );
    const empty = quarantine.prepare!(ctx, {
      url: `s3://${bucket}/${NEW}`,
      from: `s3://${bucket}/backups/none/wal/`,
      cellIp: '10.0.0.1',
      container: 'cf-1',
    });
    await expect(empty).rejects.toThrow('holds no objects');
  });
});

/**
 * `dingo-recover archive swap` as operators run it: the real command line in a child process,
 * without a terminal or on a real one (script(1)), against moto (through a loopback proxy that
 * records each request, where a test counts them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_ARCHIVES } from '../../../src/commands/archive/examples.js';
import { parseS3Location } from '../../../src/archive/location.js';
import { startMoto, type Moto } from '../../support/moto.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { fingerprint, putAll, seedArchive } from '../../support/archive-fixture.js';
import { runCli } from '../../support/cli.js';
import { runOnTerminal } from '../../support/terminal.js';
import { ifStarted } from '../../support/started.js';

let moto: Moto;
let proxy: FaultProxy | undefined;
let dir: string;
let buckets = 0;

const OLD_GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NEW_GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
const OLD = `backups/${OLD_GUID}/wal/`;
const NEW = `backups/${NEW_GUID}/wal/`;
const BACKUP = 'base_000000010000000000000002_00000040';

/** A source `archive inspect` finds restorable: sentinel, partition, version, label, WAL from the start segment on. */
async function seedRestorable(
  bucket: string,
  prefix = OLD,
  o: { segments?: number; sysid?: string; extra?: Record<string, string | Buffer> } = {},
): Promise<void> {
  await seedArchive(moto.store, bucket, prefix, {
    segments: o.segments ?? 6,
    backups: [BACKUP],
    sysid: o.sysid ?? '6262323410585460850',
    extra: { 'wal_005/000000010000000000000002.00000028.backup.lzo': 'START WAL LOCATION: 0/2000028', ...o.extra },
  });
}

async function seedNew(bucket: string): Promise<void> {
  await seedArchive(moto.store, bucket, NEW, {
    segments: 2,
    backups: ['base_000000010000000000000002_00000028'],
    sysid: '6262323410585460999',
  });
}

async function freshBucket(): Promise<string> {
  const name = `swap-cmd-${++buckets}-${process.pid}`;
  await moto.createBucket(name);
  return name;
}

function stateDir(): string {
  return mkdtempSync(join(dir, 'state-'));
}

const s3 = () => ['--s3-endpoint', moto.endpoint, '--s3-path-style'];
const swapArgs = (bucket: string, state: string, from = OLD) => [
  'archive',
  'swap',
  '--from',
  `s3://${bucket}/${from}`,
  '--to',
  `s3://${bucket}/${NEW}`,
  ...s3(),
  '--state-dir',
  state,
];
const quarantineOf = (stdout: string) => /previous objects are in s3:\/\/[^/]+\/(\S+\/)/.exec(stdout)?.[1];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swap-cmd-'));
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await ifStarted(moto)?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('archive swap confirmation', () => {
  it('without a terminal and without --yes stops with exit 3 naming --yes, and changes nothing', async () => {
    const bucket = await freshBucket();
    await seedRestorable(bucket);
    await seedNew(bucket);
    const before = await fingerprint(moto.store, bucket, '');
    const state = stateDir();
    const r = await runCli(swapArgs(bucket, state), { env: moto.env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      `archive swap moves s3://${bucket}/${NEW} aside and needs a typed confirmation, but there is no terminal to ask on; nothing was changed`,
    );
    expect(r.stderr).toMatch(/what to do: .*--yes/);
    expect(await fingerprint(moto.store, bucket, '')).toEqual(before);
    expect(existsSync(join(state, 'swaps'))).toBe(false);
  });

  it('on a terminal asks for the first 8 characters of the target GUID, refuses anything else, then swaps', async () => {
    const bucket = await freshBucket();
    await seedRestorable(bucket);
    await seedNew(bucket);
    const source = await fingerprint(moto.store, bucket, OLD);
    const original = await fingerprint(moto.store, bucket, NEW);
    const r = await runOnTerminal(
      swapArgs(bucket, stateDir()),
      [
        // The source's GUID is the likeliest slip: it must not do.
        { when: 'to confirm', type: OLD_GUID.slice(0, 8) },
        { when: 'or "no" to stop here', type: NEW_GUID.slice(0, 8) },
      ],
      moto.env,
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain(`type the first 8 characters of ${NEW_GUID} or "s3://${bucket}/${NEW}" to confirm`);
    expect(r.screen).toContain(`> type the first 8 characters of ${NEW_GUID}`);
    expect(await fingerprint(moto.store, bucket, NEW)).toEqual(source);
    expect(await fingerprint(moto.store, bucket, quarantineOf(r.screen)!)).toEqual(original);
  }, 90_000);

  it('takes the confirmation from --answers only when it names the target', async () => {
    const bucket = await freshBucket();
    await seedRestorable(bucket);
    await seedNew(bucket);
    const before = await fingerprint(moto.store, bucket, '');
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(wrong, `confirm: { archive-swap: ${OLD_GUID.slice(0, 8)} }\n`);
    const refused = await runCli([...swapArgs(bucket, stateDir()), '--answers', wrong], { env: moto.env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `answers file: confirm.archive-swap is "${OLD_GUID.slice(0, 8)}", but this swap moves s3://${bucket}/${NEW} aside`,
    );
    expect(await fingerprint(moto.store, bucket, '')).toEqual(before);

    const right = join(dir, 'right.yaml');
    writeFileSync(right, `confirm: { archive-swap: ${NEW_GUID.slice(0, 8)} }\n`);
    const done = await runCli([...swapArgs(bucket, stateDir()), '--answers', right], { env: moto.env });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('confirmed by the answers file');
    expect(await fingerprint(moto.store, bucket, NEW)).toEqual(await fingerprint(moto.store, bucket, OLD));
  });

  it('the help example is valid, and runs as written with --yes', async () => {
    const help = await runCli(['archive', 'swap', '--help']);
    expect(help.code).toBe(0);
    // The example commands: each holds URLs, so each is a line of its own (its description a comment above it).
    const lines = help.stdout.split('\n');
    const examples = lines.slice(lines.indexOf('Examples:') + 1, lines.indexOf('', lines.indexOf('Examples:')));
    const commands = examples.filter((l) => !l.trim().startsWith('#')).join('');
    const urls = commands.match(/s3:\/\/.+?\/wal\//g) ?? [];
    expect(urls).toEqual([EXAMPLE_ARCHIVES.old, EXAMPLE_ARCHIVES.new, EXAMPLE_ARCHIVES.old, EXAMPLE_ARCHIVES.new]);
    for (const url of urls) expect(() => parseS3Location(url)).not.toThrow();
    expect(commands).toContain(`--from ${EXAMPLE_ARCHIVES.old} --to ${EXAMPLE_ARCHIVES.new} --yes`);
    const from = parseS3Location(EXAMPLE_ARCHIVES.old);
    const to = parseS3Location(EXAMPLE_ARCHIVES.new);
    await moto.createBucket(from.bucket);
    await seedRestorable(from.bucket, from.prefix);
    await seedArchive(moto.store, to.bucket, to.prefix, { segments: 2, backups: ['base_000000010000000000000002_00000028'], sysid: '1' });
    const source = await fingerprint(moto.store, from.bucket, from.prefix);
    const r = await runCli(
      ['archive', 'swap', '--from', EXAMPLE_ARCHIVES.old, '--to', EXAMPLE_ARCHIVES.new, '--yes', ...s3(), '--state-dir', stateDir()],
      { env: moto.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('confirmed by --yes');
    expect(await fingerprint(moto.store, to.bucket, to.prefix)).toEqual(source);
  });
});

describe('archive swap source checks', () => {
  it('refuses a source archive inspect does not find restorable (exit 2, naming why), unless --force', async () => {
    const bucket = await freshBucket();
    await seedNew(bucket);
    // Two objects under wal-e folder names: no archive.
    const bogus = 'backups/0badbeef-0000-4000-8000-000000000000/wal/';
    await putAll(moto.store, bucket, [
      [`${bogus}wal_005/000000010000000000000001.lzo`, 'wal'],
      [`${bogus}sysids/sysid`, '1\n'],
    ]);
    const before = await fingerprint(moto.store, bucket, '');
    const refused = await runCli([...swapArgs(bucket, stateDir(), bogus), '--yes'], { env: moto.env });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `refusing to swap in s3://${bucket}/${bogus}: archive inspect does not find it restorable: s3://${bucket}/${bogus} holds no base backup`,
    );
    expect(refused.stderr).toMatch(/what to do: .*--force/);
    expect(await fingerprint(moto.store, bucket, '')).toEqual(before);

    const forced = await runCli([...swapArgs(bucket, stateDir(), bogus), '--yes', '--force'], { env: moto.env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(`warning: --force: swapping in s3://${bucket}/${bogus}, which is not restorable`);
    expect(await fingerprint(moto.store, bucket, NEW)).toEqual(await fingerprint(moto.store, bucket, bogus));
  });

  it('refuses overlapping --from and --to before reaching S3 (exit 2)', async () => {
    const r = await runCli([
      'archive',
      'swap',
      '--from',
      `s3://some-bucket/${OLD}`,
      '--to',
      `s3://some-bucket/${OLD}wal_005/`,
      '--yes',
      '--s3-endpoint',
      'http://127.0.0.1:9',
      '--state-dir',
      stateDir(),
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `refusing to write s3://some-bucket/${OLD}wal_005/: the target overlaps the source archive s3://some-bucket/${OLD}`,
    );
  });
});

describe('archive swap and the source’s .partial segments', () => {
  const SYSID = '6262209914512345093';
  const SEGMENT = '000000010000000000000006';
  const PARTIAL = `wal_005/${SEGMENT}.partial.lzo`;
  const RAW = `wal_005/${SEGMENT}.partial`;
  const FULL = `wal_005/${SEGMENT}.lzo`;
  /** What a promoted 9.5 standby archived of the segment after the archive's last (the partial-wal scenario's), and its WAL. */
  const body = readFileSync(resolve(import.meta.dirname, `../../../fixtures/partial-wal/archive/${SEGMENT}.partial.lzo`));
  const wal = execFileSync('lzop', ['-dc'], { input: body, maxBuffer: 64 << 20 });

  it('serves the checked one under its full name after the copy, says so in its plan and after, and warns of a refused one (exit 8)', async () => {
    const bucket = await freshBucket();
    await seedNew(bucket);
    await seedRestorable(bucket, OLD, { segments: 5, sysid: SYSID, extra: { [PARTIAL]: body, [RAW]: wal } });
    const old = await fingerprint(moto.store, bucket, OLD);
    const r = await runCli([...swapArgs(bucket, stateDir()), '--yes'], { env: moto.env });
    // Done, with a warning: the refused partial's WAL is not restored.
    expect(r.code, r.stderr).toBe(8);
    const from = `s3://${bucket}/${OLD}`;
    const to = `s3://${bucket}/${NEW}`;
    const rawWhy =
      "it is stored without .lzo: wal-e's wal-fetch reads WAL only as lzop-compressed .lzo objects, so it is never served and counts as no archived WAL; " +
      `wal_005/${SEGMENT}.partial.lzo beside it is the one checked`;
    // The plan, before the confirmation.
    const plan = r.stderr.slice(0, r.stderr.indexOf('confirmed by --yes'));
    expect(plan).toContain(`  partial     ${PARTIAL} checked: served as ${to}${FULL} after the copy\n`);
    expect(plan).toContain(`  partial     ${RAW} refused, not served: ${rawWhy}\n`);
    const [served, swapped, end] = r.stdout.split('\n');
    expect(served).toBe(
      `served: ${from}${PARTIAL} checked (system identifier ${SYSID} as the archive's, timeline 1 as its name's, the segment after the archive's last full one 000000010000000000000005): copied server-side to ${to}${FULL}, where the container's wal-e fetches ${SEGMENT}`,
    );
    expect(swapped).toBe(`swapped: ${from} → ${to}; the target's previous objects are in s3://${bucket}/${quarantineOf(r.stdout)}`);
    expect(end).toBe('');
    expect(r.stderr).toContain(`warning: ${from}${RAW} was not served, so the restore ends before any WAL it holds: ${rawWhy}\n`);
    expect((await moto.store.get({ bucket, key: NEW + FULL })).equals(body)).toBe(true);
    // The old archive is only read; the target holds it and the partial's copy, and nothing else.
    expect(await fingerprint(moto.store, bucket, OLD)).toEqual(old);
    expect(await fingerprint(moto.store, bucket, NEW)).toEqual({ ...old, [FULL]: old[PARTIAL] });
  });

  it('gives what it served and refused in --json, and ends with 8 for the refused one', async () => {
    const bucket = await freshBucket();
    await seedNew(bucket);
    await seedRestorable(bucket, OLD, { segments: 5, sysid: SYSID, extra: { [PARTIAL]: wal } });
    const r = await runCli([...swapArgs(bucket, stateDir()), '--yes', '--json'], { env: moto.env });
    expect(r.code, r.stderr).toBe(8);
    const why =
      'it is not an lzop stream (it does not start with the lzop magic bytes): it holds a WAL segment stored uncompressed, which wal-fetch could not decompress, so it is never served';
    expect(JSON.parse(r.stdout).partials).toEqual({
      served: [],
      refused: [{ from: `s3://${bucket}/${OLD}${PARTIAL}`, why: expect.stringContaining(why) }],
    });
    expect(r.stderr).toContain(`  partial     ${PARTIAL} refused, not served: ${why}`);
    expect(r.stderr).toContain(
      `warning: s3://${bucket}/${OLD}${PARTIAL} was not served, so the restore ends before any WAL it holds: ${why}`,
    );
    expect(await moto.store.head({ bucket, key: NEW + FULL })).toBeNull();
  });

  it('reads each partial once, in its inspection: the serve step takes those checks and only HEADs it before the copy', async () => {
    const bucket = await freshBucket();
    await seedNew(bucket);
    await seedRestorable(bucket, OLD, { segments: 5, sysid: SYSID, extra: { [PARTIAL]: body } });
    const seen = proxy!.requests.length;
    const throughProxy = swapArgs(bucket, stateDir()).map((a) => (a === moto.endpoint ? proxy!.endpoint : a));
    const r = await runCli([...throughProxy, '--yes'], { env: moto.env });
    expect(r.code, r.stderr).toBe(0);
    const on = (method: string, key: string) =>
      proxy!.requests.slice(seen).filter((q) => q.method === method && q.path.split('?')[0] === `/${bucket}/${key}`);
    expect(on('GET', OLD + PARTIAL)).toHaveLength(1);
    expect(on('HEAD', OLD + PARTIAL).length).toBeGreaterThanOrEqual(1);
    // Served all the same: the target holds the partial's copy at its full name.
    expect((await moto.store.get({ bucket, key: NEW + FULL })).equals(body)).toBe(true);
  });

  it('ends with 0 when its partial was served, or was left behind by a failover (the archive goes on on a newer timeline)', async () => {
    const served = await freshBucket();
    await seedNew(served);
    await seedRestorable(served, OLD, { segments: 5, sysid: SYSID, extra: { [PARTIAL]: body } });
    const r = await runCli([...swapArgs(served, stateDir()), '--yes'], { env: moto.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`served: s3://${served}/${OLD}${PARTIAL} checked`);
    expect(r.stderr).not.toContain('warning:');

    // Timeline 1 ended in segment 6, whose rest timeline 2 archived: the partial is what the promotion left of timeline 1.
    const failover = await freshBucket();
    await seedNew(failover);
    await seedRestorable(failover, OLD, {
      segments: 5,
      sysid: SYSID,
      extra: {
        [PARTIAL]: body,
        'wal_005/00000002.history.lzo': execFileSync('lzop', ['-c'], { input: '1\t0/6000060\tno recovery target specified\n' }),
        'wal_005/000000020000000000000006.lzo': 'lzo wal of timeline 2',
      },
    });
    const left = await runCli([...swapArgs(failover, stateDir()), '--yes', '--json'], { env: moto.env });
    expect(left.code, left.stderr).toBe(0);
    expect(JSON.parse(left.stdout).partials).toEqual({ served: [], refused: [] });
    expect(left.stderr).not.toContain('warning:');
    expect(await moto.store.head({ bucket: failover, key: NEW + FULL })).toBeNull();
  });
});

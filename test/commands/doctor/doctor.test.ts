/**
 * `doctor` and the same checks before a live run: real sshd and moto on loopback, the cf and bosh
 * doubles of the rehearsal simulator, a syslog file; a failing check stops `recover` before any
 * question and before its run folder exists.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';
import { loadScenario } from '../../../src/rehearsal/world.js';
import { ROOT, runCli } from '../../support/cli.js';
import { setUpFakeClis, type FakeClis } from '../../support/fake-cli/install.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../../support/moto.js';
import { freePort } from '../../../src/systems/ports.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { startStalledServer } from '../../support/stalled-server.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const SEED = resolve(ROOT, 'fixtures/seed-003');
const BUCKET = 'doctor-wal-bucket';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

describe('doctor --rehearsal', () => {
  it('passes on the bundled scenario: every check of its simulated platform is ok', async () => {
    const r = await runCli(['doctor', '--rehearsal', '--json', '--answers', join(SEED, 'answers.yaml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks.map((c) => c.name)).toEqual(['cf CLI', 'cf login', 'bosh', 'cells', 'S3 buckets', 'logs', 'operator']);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.name === 'bosh')?.detail).toMatch(/^bosh 1\.3215\.0: .* as director$/);
  });

  it('without a terminal or --answers, says the operator check failed and what fixes it (exit 1)', async () => {
    const r = await runCli(['doctor', '--rehearsal']);
    expect(r.code).toBe(1);
    // The scenario's buckets are found by the run, not given: the column is as wide as "not checked".
    expect(r.stdout).toMatch(/^not checked {2}S3 buckets +no bucket given/m);
    expect(r.stdout).toMatch(/^FAILED {7}operator +no terminal to ask on, and no --answers$/m);
    expect(r.stdout).toContain('fix: run at a terminal, or give the answers: --answers FILE');
  });
});

describe.skipIf(!sshdAvailable)('doctor and the checks before a live run', () => {
  const work = tempDirForAll('dr-doctor-');
  let gateway: Sshd;
  let moto: Moto;
  let fake: FakeClis;
  let notEs: Server;
  const seed = loadScenario(SEED).initial;
  const logs = join(SEED, 'syslog');
  const answers = join(work, 'answers.yaml');
  const knownHosts = join(work, 'known_hosts');
  const sshConfig = join(work, 'ssh_config');
  const state = join(work, 'state');

  /** What stops each server started so far, run after the tests whatever failed. */
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    gateway = await startSshd({ user: 'dingodoctorgw' });
    stops.push(() => gateway.stop());
    moto = await startMoto();
    stops.push(() => moto.stop());
    await moto.createBucket(BUCKET);
    fake = await setUpFakeClis({ cf: structuredClone(seed.cf), bosh: structuredClone(seed.bosh) });
    stops.push(() => fake.cleanup());
    writeFileSync(answers, readFileSync(join(SEED, 'answers.yaml')));
    writeFileSync(knownHosts, `[127.0.0.1]:${String(gateway.port)} ${gateway.hostPublicKey}\n`);
    writeFileSync(sshConfig, '');
    notEs = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"hello":"not a search engine"}');
    });
    await new Promise<void>((done) => notEs.listen(0, '127.0.0.1', done));
    stops.push(() => new Promise((done) => notEs.close(done)));
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
  });

  const args = (over: Record<string, string> = {}): string[] =>
    Object.entries({
      '--gateway': `${gateway.user}@127.0.0.1:${String(gateway.port)}`,
      '--ssh-key': gateway.clientKeyFile,
      '--known-hosts': knownHosts,
      '--ssh-config': sshConfig,
      '--s3-endpoint': moto.endpoint,
      '--s3-region': 'us-east-1',
      '--wal-bucket': BUCKET,
      '--logs': logs,
      '--cf-bin': join(fake.binDir, 'cf'),
      '--bosh-bin': join(fake.binDir, 'bosh'),
      '--answers': answers,
      ...over,
    }).flatMap(([k, v]) => [k, v]);
  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    ...fake.env,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    SSH_AUTH_SOCK: '',
    ...over,
  });

  it('every check passes on a platform that is there, and --json lists each with what it found', async () => {
    const r = await runCli(['doctor', '--json', '--s3-path-style', ...args()], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['cf CLI', true],
      ['cf login', true],
      ['bosh', true],
      ['cells', true],
      ['S3 credentials', true],
      ['S3 endpoint', true],
      ['S3 buckets', true],
      ['logs', true],
      ['operator', true],
    ]);
    const detail = (name: string): string => checks.find((c) => c.name === name)!.detail;
    // The seed's cf targets no org yet.
    expect(detail('cf login')).toBe(`${seed.cf.api.url}, logged in (${join(fake.env.CF_HOME!, '.cf', 'config.json')})`);
    expect(detail('cells')).toContain(`127.0.0.1:${String(gateway.port)}`);
    expect(detail('S3 buckets')).toBe(`s3://${BUCKET} listed`);
    // The secrets stay out of what it prints.
    expect(r.stdout + r.stderr).not.toContain(MOTO_CREDENTIALS.secretAccessKey);
    expect(r.stdout + r.stderr).not.toContain('fake-cli-access-token');
  });

  it('names each failure and its fix: cf missing, not logged in to bosh, a gateway that does not answer, a bucket that is not there', async () => {
    const boshHome: BoshWorld = structuredClone(seed.bosh);
    boshHome.director.user = 'not logged in';
    const boshState = join(work, 'bosh-logged-out.json');
    writeFileSync(boshState, JSON.stringify(boshHome));
    const closed = await freePort();
    const r = await runCli(
      [
        'doctor',
        '--s3-path-style',
        ...args({
          '--cf-bin': join(work, 'no-cf'),
          '--gateway': `${gateway.user}@127.0.0.1:${String(closed)}`,
          '--wal-bucket': 'no-such-bucket',
        }),
      ],
      { env: env({ FAKE_BOSH_STATE: boshState }) },
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAILED {2}cf CLI +.*no-cf is not on PATH$/m);
    expect(r.stdout).toContain('fix: install the cf CLI (v6 to v8) on PATH, or give its path: --cf-bin PATH');
    expect(r.stdout).toMatch(/^FAILED {2}bosh +bosh 1\.3215\.0 reaches .* but is not logged in$/m);
    expect(r.stdout).toContain('fix: bosh login');
    expect(r.stdout).toMatch(/^FAILED {2}cells +.*ECONNREFUSED/m);
    expect(r.stdout).toContain('fix: check --gateway user@host[:port], --ssh-key, --known-hosts and --ssh-config');
    expect(r.stdout).toMatch(/^FAILED {2}S3 buckets +.*no-such-bucket/m);
    expect(r.stdout).toMatch(/^ok +S3 credentials/m);
    expect(r.stdout).toMatch(/^ok +cf login/m);
  });

  it('says not checked, never ok, for a way it did not try: no --gateway, bosh ssh, no bucket given', async () => {
    const without = (...flags: string[]): string[] => args().filter((a, i, all) => !flags.includes(a) && !flags.includes(all[i - 1]!));
    const r = await runCli(['doctor', '--s3-path-style', ...without('--gateway', '--wal-bucket')], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^not checked {2}cells +no --gateway: no cell reached; each is reached over SSH as the ssh config says/m);
    expect(r.stdout).toMatch(/^not checked {2}S3 buckets +no bucket given/m);
    expect(r.stdout).toMatch(/^ok {11}cf login /m);
    const viaBosh = await runCli(
      ['doctor', '--json', '--s3-path-style', '--ssh-via', 'bosh', ...without('--gateway', '--known-hosts', '--ssh-key', '--ssh-config')],
      {
        env: env(),
      },
    );
    expect(viaBosh.code, viaBosh.stdout + viaBosh.stderr).toBe(0);
    const cells = (JSON.parse(viaBosh.stdout) as (Check & { checked?: boolean })[]).find((c) => c.name === 'cells');
    expect(cells).toMatchObject({ ok: true, checked: false, detail: expect.stringContaining('no cell reached') });
  });

  it.each(['2.0.1', '7.9.1-f1ae6a1-2025-01-10T00:00:00Z'])('bosh %s: the bosh check reads its era’s bosh env --json', async (version) => {
    const boshState = join(work, `bosh-${version}.json`);
    writeFileSync(
      boshState,
      JSON.stringify({ ...structuredClone(seed.bosh), version, director: { ...seed.bosh.director, user: 'admin' } }),
    );
    const r = await runCli(['doctor', '--json', '--s3-path-style', ...args()], { env: env({ FAKE_BOSH_STATE: boshState }) });
    const bosh = (JSON.parse(r.stdout) as Check[]).find((c) => c.name === 'bosh');
    expect(bosh).toMatchObject({ ok: true, detail: `bosh ${version}: ${seed.bosh.director.name} as admin` });
  });

  it('cf not logged in here: the login check reads config.json and names cf login', async () => {
    const home = join(work, 'empty-cf-home');
    mkdirSync(home, { recursive: true });
    const r = await runCli(['doctor', '--s3-path-style', ...args()], { env: env({ CF_HOME: home }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED  cf login        no cf login here: ${join(home, '.cf', 'config.json')} does not exist`);
    expect(r.stdout).toContain('fix: log in as the operator: cf login -a https://api.SYSTEM_DOMAIN');
  });

  it('a server at --es-url that is not Elasticsearch fails the logs check', async () => {
    const port = (notEs.address() as { port: number }).port;
    const r = await runCli(['doctor', '--s3-path-style', ...args({ '--es-url': `http://127.0.0.1:${String(port)}` })], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED {2}logs +http:\/\/127\.0\.0\.1:\d+ does not answer as Elasticsearch: it is not Elasticsearch/m);
    expect(r.stdout).toContain('fix: check --es-url, --es-ca-file and ES_API_KEY (or ES_USERNAME and ES_PASSWORD)');
  });

  it('a silent Elasticsearch: the check says what it waits on after a few seconds, and fails at its deadline', async () => {
    const silent = await startStalledServer('silent');
    try {
      const started = Date.now();
      const r = await runCli(['doctor', '--s3-path-style', ...args({ '--es-url': silent.url })], { env: env({ ES_TIMEOUT: '5' }) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`… waiting on GET / of ${silent.url}`);
      // The check's own wait line, not the Elasticsearch client's beside it.
      expect(r.stderr.split('\n').filter((line) => line.includes(silent.url))).toEqual([expect.stringContaining('… waiting on GET /')]);
      expect(r.stdout).toMatch(/^FAILED {2}logs +/m);
      expect(Date.now() - started).toBeLessThan(40_000);
    } finally {
      await silent.stop();
    }
  });

  it('recover with a failing check stops before any question, with no run folder, exit 2', async () => {
    const r = await runCli(['recover', '--s3-path-style', '--state-dir', state, ...args({ '--cf-bin': join(work, 'no-cf') })], {
      env: env(),
    });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^FAILED {2}cf CLI /m);
    expect(r.stderr).toContain('the checks before the run failed (cf CLI): nothing was asked or started');
    expect(r.stderr).toContain('dingo-recover doctor');
    expect(r.stdout).not.toContain('starts run');
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });

  it('recover-space without a terminal or --answers stops the same way', async () => {
    const withoutAnswers = args().filter((a, i, all) => a !== '--answers' && all[i - 1] !== '--answers');
    const r = await runCli(['recover-space', '--s3-path-style', '--state-dir', state, ...withoutAnswers], { env: env() });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^FAILED {2}operator +no terminal to ask on, and no --answers$/m);
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });
});

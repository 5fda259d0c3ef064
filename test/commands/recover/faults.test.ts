/**
 * A whole live recovery (test/support/live/platform.ts) through faults, as a run may meet them
 * on a bad day: the operator's S3 endpoint is a proxy in front of moto that answers 503 SlowDown
 * or 500 InternalError on a seeded ~10% of the requests, and the operator's SSH route (a TCP
 * proxy in front of the jumpbox's sshd, which carries the cell's connection and the etcd forward)
 * is cut twice: while the cell runs `docker stop` (a write: it took effect, its answer is lost)
 * and while it runs `pg_isready` (a read). The run must then complete, or stop resumable and
 * complete on `resume`, with every system in the recovered state, nothing lost, no secret written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, DONE_DRILLED_ON_CELL, ROOT, runIdOf } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { startFaultProxy, startTcpFaultProxy, type FaultProxy, type TcpFaultProxy } from '../../support/fault-proxy.js';
import { prepareCase, startLiveServers, type LiveCase, type LiveServers } from '../../support/live/platform.js';
import { assertNoSecrets, assertRecovered, doneStatuses, doneTranscript } from '../../support/live/recovered.js';
import { ONE_RUN_MS, SEED_DELETED } from '../../support/live/shared.js';
import { ifStarted } from '../../support/started.js';

/** Seed of the S3 fault draws: the same requests in the same order get the same faults. */
const SEED = 15;
/** Fraction of the S3 requests answered 503 SlowDown, and as many 500 InternalError. */
const HALF_RATE = 0.05;
/** No dingo-recover process of this test may take longer: a hang fails the test, it does not stall it. */
const PROCESS_LIMIT_MS = ONE_RUN_MS;

interface Bounded {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed for running past PROCESS_LIMIT_MS. */
  hung: boolean;
  ms: number;
}

/** The built CLI as a child process, killed if it runs past the limit. */
function runBounded(args: string[], env: Record<string, string>): Promise<Bounded> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, PROCESS_LIMIT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung, ms: Date.now() - started });
    });
    child.stdin.end('');
  });
}

interface Drop {
  /** The held command's marker. */
  marker: string;
  /** Connections cut. */
  cut: number;
  /** Which dingo-recover process (0: recover, 1: the first resume...) it hit. */
  process: number;
  /** The container's state on the cell when the connection was cut. */
  running: boolean | undefined;
}

/**
 * Watches for the cell holding a command (its marker file): cuts every connection through the
 * SSH proxy at that moment, then lets the held command go on (removes the marker).
 */
function dropWhenHeld(
  markers: string[],
  proxy: TcpFaultProxy,
  c: () => LiveCase,
  processIndex: () => number,
): { drops: Drop[]; stop(): void } {
  const drops: Drop[] = [];
  const timer = setInterval(() => {
    for (const marker of markers) {
      if (!existsSync(marker) || drops.some((d) => d.marker === marker)) continue;
      const cut = proxy.cut();
      const ct = c().readCell().containers[c().container];
      drops.push({ marker, cut, process: processIndex(), running: ct?.running });
      unlinkSync(marker);
    }
  }, 10);
  return {
    drops,
    stop: () => {
      clearInterval(timer);
    },
  };
}

describe.skipIf(!sshdAvailable || !etcdAvailable)(
  'a live recovery through S3 errors on ~10% of requests and SSH connections dropped mid-step',
  () => {
    let servers: LiveServers;
    let s3: FaultProxy;
    let ssh: TcpFaultProxy;
    let markersDir: string;
    let stopMarker: string;
    let readMarker: string;
    let c: LiveCase;
    let watcher: ReturnType<typeof dropWhenHeld>;
    /** recover, then each resume, in order. */
    const runs: Bounded[] = [];
    /** How many S3 requests the proxy had seen when each process ended. */
    const s3SeenAfter: number[] = [];
    let runId: string;

    beforeAll(
      async () => {
        servers = await startLiveServers();
        s3 = await startFaultProxy(servers.moto.endpoint);
        // One server-side copy (the quarantine's or the old archive's) meets a fault whatever the draws give the rest.
        s3.inject({ status: 503, header: 'x-amz-copy-source', skip: 3, times: 1 });
        s3.inject({ status: 503, rate: HALF_RATE, seed: SEED, times: Infinity });
        s3.inject({ status: 500, rate: HALF_RATE, seed: SEED + 1, times: Infinity });
        ssh = await startTcpFaultProxy(servers.gateway.port);
        markersDir = mkdtempSync(join(tmpdir(), 'dingo-faults-'));
        stopMarker = join(markersDir, 'docker-stop-held');
        readMarker = join(markersDir, 'pg_isready-held');
        c = await prepareCase(servers, 'faults', {
          s3Endpoint: s3.endpoint,
          jumpboxPort: ssh.port,
          holds: [
            { args: ['stop'], marker: stopMarker },
            { args: ['exec', 'pg_isready'], marker: readMarker },
          ],
        });
        watcher = dropWhenHeld(
          [stopMarker, readMarker],
          ssh,
          () => c,
          () => runs.length,
        );

        runs.push(await runBounded(['recover', ...c.liveArgs, '--verbose', '--state-dir', c.stateDir], c.env));
        s3SeenAfter.push(s3.requests.length);
        runId = runIdOf(runs[0]!.stdout);
        // Resume while the run stops resumable (exit 1); the journal holds every option.
        while (runs.at(-1)!.code === 1 && runs.length < 4) {
          runs.push(await runBounded(['resume', runId, '--yes', '--state-dir', c.stateDir], c.env));
          s3SeenAfter.push(s3.requests.length);
        }
        watcher.stop();
      },
      4 * PROCESS_LIMIT_MS + 60_000,
    );

    afterAll(async () => {
      ifStarted(watcher)?.stop();
      await ifStarted(c)?.cleanup();
      await Promise.all([ifStarted(s3)?.stop(), ifStarted(ssh)?.stop()]);
      await ifStarted(servers)?.stop();
      if (markersDir) rmSync(markersDir, { recursive: true, force: true });
    });

    it('stops resumable when the connection drops under `docker stop`, and the resume completes', () => {
      for (const r of runs) {
        expect(r.hung, r.stdout.slice(-2000)).toBe(false);
        expect(r.signal).toBeNull();
      }
      expect(runs.map((r) => r.code)).toEqual([1, DONE_DRILLED_ON_CELL]);
      const [first, resumed] = runs as [Bounded, Bounded];
      expect(first.stdout).toMatch(
        /connection to cell 10\.58\.111\.150 via dingolivegw@dingo-jumpbox \(127\.0\.0\.1\):\d+ lost during `\S+ --host \S+ stop -t 30 cf-[0-9a-f-]+`; outcome unknown/,
      );
      expect(first.stdout).toContain(
        'what to do: resume the run: the step checks whether the command took effect before doing anything again',
      );
      expect(first.stdout).toContain(`the run is saved; continue with: dingo-recover resume ${runId} --state-dir `);
      expect(first.stdout + first.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
      expect(resumed.stdout).toContain(`resumes run ${runId}`);
      // Stopped: the keys its kill left are gone by their TTL (done), or still there and deleted now (the step runs again, stopping nothing).
      expect(resumed.stdout).toMatch(
        /already done \(docker inspect shows it stopped, and neither \/service\/|Stop the new container — stopped=true staleKeys=(deleted its|no) \/leader/,
      );
      expect(resumed.stdout).toContain(`run ${runId} is done`);
    });

    it('cut the SSH route twice mid-step: after `docker stop` took effect, and under `pg_isready`, reopened without stopping', () => {
      expect(watcher.drops).toEqual([
        { marker: stopMarker, cut: expect.any(Number), process: 0, running: false },
        { marker: readMarker, cut: expect.any(Number), process: 1, running: true },
      ]);
      for (const d of watcher.drops) expect(d.cut).toBeGreaterThanOrEqual(1);
      expect(ssh.cuts).toBe(watcher.drops.reduce((n, d) => n + d.cut, 0));
      // A connection before the first cut, one for the resume, one reopened after the second cut.
      expect(ssh.connections).toBeGreaterThanOrEqual(3);
      expect(existsSync(stopMarker) || existsSync(readMarker)).toBe(false);
    });

    it('answered 503 SlowDown and 500 InternalError on about 10% of the S3 requests, in both processes, and every faulted request was sent again and answered', () => {
      const faulted = s3.requests.flatMap((r, i) => (r.faulted ? [{ ...r, i }] : []));
      expect(s3.injected).toBe(faulted.length);
      expect(faulted.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(1);
      expect(faulted.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(1);
      expect(faulted.length / s3.requests.length).toBeGreaterThanOrEqual(0.05);
      expect(faulted.length / s3.requests.length).toBeLessThanOrEqual(0.2);
      expect(faulted.some((r) => r.i < s3SeenAfter[0]!)).toBe(true);
      expect(faulted.some((r) => r.i >= s3SeenAfter[0]!)).toBe(true);
      expect(s3SeenAfter.at(-1)).toBe(s3.requests.length);
      for (const f of faulted) {
        const again = s3.requests.slice(f.i + 1).find((r) => r.method === f.method && r.path === f.path && !r.faulted);
        expect(again, `${f.method} ${f.path} (${f.status}) was not sent again`).toBeDefined();
      }
      // Writes met faults too: the server-side copies of the quarantine and of the old archive.
      expect(
        faulted.filter((r) => r.method === 'PUT' && r.path.includes('x-id=CopyObject')).length,
        `faults of seed ${SEED}: ${JSON.stringify(faulted)}`,
      ).toBeGreaterThanOrEqual(1);
    });

    it('leaves every system recovered: nothing lost, the container stopped once', async () => {
      await assertRecovered(servers, c);
    });

    it('journals every step as finished; the stop whose answer was lost was probed on resume, not repeated', async () => {
      const t = await doneTranscript<{
        status: string;
        steps: { id: string; status: string; notes: { text: string }[]; commands: { argv: string[]; exitCode: number; lost: boolean }[] }[];
      }>(c, runId);
      expect(t.status).toBe('done');
      expect(t.steps.map((st) => [st.id, st.status])).toEqual(doneStatuses(SEED_DELETED));
      const stop = t.steps.find((st) => st.id === 'stop-container')!;
      // Whether the kill's keys had run out by the resume depends on how long it took: either way they are gone, and nothing stopped twice.
      expect(stop.notes.map((n) => n.text)).toContainEqual(
        expect.stringMatching(
          /^after an interruption, probe said (done: docker inspect shows it stopped, and neither \S+\/leader nor \S+ names |not-done: it is stopped, but \S+ still (names|is there))/,
        ),
      );
      // Exactly one `docker stop`: the one whose answer was lost, journaled as such; none on resume.
      expect(stop.commands.filter((k) => k.argv.includes('stop'))).toEqual([expect.objectContaining({ exitCode: -1, lost: true })]);
      const journal = readFileSync(join(c.stateDir, 'runs', runId, 'journal.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; step?: string; error?: string; result?: string });
      const ofStop = journal.filter((e) => e.step === 'stop-container' && e.type.startsWith('step.'));
      expect(ofStop[1]!.error).toMatch(/lost during `.* stop -t 30 cf-[0-9a-f-]+`; outcome unknown$/);
      // Probed done (its keys had run out), or not done (they still stood): then the step ran again, deleting them and stopping nothing.
      const probed = ofStop[2]!.result;
      expect(ofStop.map((e) => e.type)).toEqual(
        probed === 'done'
          ? ['step.started', 'step.failed', 'step.probed', 'step.finished']
          : ['step.started', 'step.failed', 'step.probed', 'step.started', 'step.finished'],
      );
      expect(['done', 'not-done']).toContain(probed);
      // The read was reopened inside the step: wait-restored started once and finished.
      const ofWait = journal.filter((e) => e.step === 'wait-restored' && e.type.startsWith('step.'));
      expect(ofWait.map((e) => e.type)).toEqual(['step.started', 'step.finished']);
    });

    it('writes no secret to the run folder or the output', () => {
      assertNoSecrets(c, runId, runs.map((r) => r.stdout + r.stderr).join(''));
    });
  },
);

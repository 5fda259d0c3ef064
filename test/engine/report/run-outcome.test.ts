/**
 * How a run ends, through the CLI: a step that could not do its work ends "done, with a warning", the run
 * "done with warnings" (exit 8), and its report never says the instance is back when nothing was restored;
 * what is left is the same on the screen and in the report; the report counts every session and lists each
 * interruption and kill a resume found; a resume treats a warned step as done.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli, runIdOf, type CliResult } from '../../support/cli.js';
import { tempDirForAll } from '../../support/temp-dirs.js';
import { read } from '../../support/chat-webhooks.js';

const stateDir = tempDirForAll('dingo-outcome-');
/** The seed incident's archive is PostgreSQL 9.5, which cannot be restored on this machine. */
const TO_TIME = ['rehearse', '--target-time', '2016-03-17T05:00:00Z', '--yes'];
const DONE_WITH_WARNINGS = 8;

function run(args: string[], env: Record<string, string> = {}, onStart?: (pid: number) => void): Promise<CliResult> {
  return runCli([...args, '--state-dir', stateDir], { env, onStart });
}

const reportOf = (id: string): string => readFileSync(join(stateDir, 'runs', id, 'report.md'), 'utf8');
const eventsOf = (id: string): { type: string; step?: string; warnings?: string[] }[] =>
  readFileSync(join(stateDir, 'runs', id, 'journal.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; step?: string; warnings?: string[] });

/** A Markdown section's text, from its heading to the next one. */
function section(report: string, heading: string): string {
  const from = report.indexOf(`## ${heading}\n`);
  expect(from, `no section ${heading}`).toBeGreaterThanOrEqual(0);
  const rest = report.slice(from + heading.length + 4);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The screen's "What is left" items, their folded lines joined again. */
function leftOnScreen(stdout: string): string[] {
  const at = stdout.lastIndexOf('What is left:\n');
  expect(at, stdout.slice(-2000)).toBeGreaterThanOrEqual(0);
  return stdout
    .slice(at + 'What is left:\n'.length)
    .split(/\n {2}- /)
    .map((item) =>
      item
        .replace(/^ {2}- /, '')
        .replace(/\s*\n\s+/g, ' ')
        .trim(),
    )
    .filter(Boolean);
}

/** The report's "What is left" items. */
function leftInReport(report: string): string[] {
  return section(report, 'What is left')
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2).replace(/\s+/g, ' ').trim());
}

/** The run's last line on the screen saying it is done, its folded lines joined. */
function doneLine(stdout: string, id: string): string {
  const from = stdout.lastIndexOf(`run ${id} is `);
  expect(from, stdout.slice(-2000)).toBeGreaterThanOrEqual(0);
  return stdout.slice(from, stdout.indexOf('Report:', from));
}

describe('a step that could not do its work', () => {
  it('ends done, with a warning; the run is done with warnings (exit 8) and its report never says the instance is back', async () => {
    const r = await run(TO_TIME);
    const id = runIdOf(r.stdout);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_WITH_WARNINGS);
    // Its own mark and the words, on a screen that is no terminal (no colour).
    expect(r.stdout).toMatch(
      /^⚠ \[8\/28\] Restore the database as it was at the target — done, with a warning: not restored in this rehearsal: the archive was written by PostgreSQL 9\.5/m,
    );
    expect(r.stdout).toMatch(/^⚠ \[22\/28\] Load the dumps into the new service — done, with a warning: nothing loaded/m);
    expect(r.stdout).not.toMatch(/^✔ \[8\/28\]/m);
    expect(doneLine(r.stdout, id)).toMatch(/^run \S+ is done with warnings \(3 steps could not do all their work\) in \d+\.\d s\. $/);

    const restore = eventsOf(id).filter((e) => e.type === 'step.finished' && e.step === 'restore');
    expect(restore).toEqual([expect.objectContaining({ warnings: [expect.stringContaining('not restored in this rehearsal')] })]);

    const report = reportOf(id);
    expect(report).toContain('done with warnings (3 steps could not do all their work)');
    expect(section(report, 'Warnings')).toContain('- Restore the database as it was at the target: not restored in this rehearsal');
    expect(report).toContain('- Nothing was restored here:');
    expect(report).toContain('- The new service important-db was created EMPTY, as nothing was restored: the deleted instance is NOT back');
    expect(report).toContain('- Without the database since its deletion at 2016-03-17T06:10:17Z: it has NOT come back: see the warnings');
    expect(report).not.toMatch(/is back|came back at/);
    expect(report).toMatch(/\| Restore the database as it was at the target \| finished, with a warning: not restored/);

    // What is left is one list: the screen's and the report's are the same, item for item.
    const left = leftInReport(report);
    expect(left).toEqual(leftOnScreen(r.stdout));
    expect(left).toContainEqual(
      expect.stringMatching(
        /^restore the archive as it was at 2016-03-17T05:00:00\.000Z where its PostgreSQL major runs \(dingo-recover drill s3:\/\//,
      ),
    );
    expect(left.join('\n')).not.toContain('What the report above lists');

    const shown = await run(['show', id]);
    expect(shown.stdout).toMatch(
      /^run \S+ \(rehearsal, runbook recover-to-target\): done with warnings \(3 steps could not do all their work\)$/m,
    );
    expect(shown.stdout).toMatch(
      /^⚠ restore: Restore the database as it was at the target — done, with a warning: not restored in this rehearsal/m,
    );

    const runs = await run(['runs', '--json']);
    const row = (JSON.parse(runs.stdout) as { runs: { runId: string; status: string; stands: string }[] }).runs.find((x) => x.runId === id);
    expect(row).toMatchObject({ status: 'done', stands: 'done with warnings (3 steps could not do all their work)' });
  });

  it('is done for a resume: a run killed after it goes on past it, and still ends done with warnings', async () => {
    // Killed (SIGKILL, as a crash) right after the restore step finished with its warning.
    const killed = await run(TO_TIME, { DINGO_RECOVER_FAILPOINTS: 'step:restore' });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    const id = runIdOf(killed.stdout);
    const resumed = await run(['resume', id, '--yes']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_WITH_WARNINGS);
    const started = eventsOf(id).filter((e) => e.type === 'step.started' && e.step === 'restore');
    expect(started).toHaveLength(1);
    expect(resumed.stdout).not.toMatch(/\[8\/28\] Restore the database as it was at the target — done, with a warning/);
    expect(doneLine(resumed.stdout, id)).toMatch(
      /is done with warnings \(3 steps could not do all their work\) in \d+\.\d s in all over 2 sessions \(this one /,
    );

    const report = reportOf(id);
    expect(report).toMatch(/- Took: \d+\.\d s in all over 2 sessions/);
    expect(section(report, 'Timeline (UTC)')).toMatch(
      /\| Restore the database as it was at the target \| finished, with a warning: [^\n]*\n\| \S+ \| the process ended without a word after this \(killed, crashed or its machine lost\): found at the next resume \|/,
    );
    expect(section(report, 'Timeline (UTC)')).toMatch(/\| resumed by \S+ with dingo-recover /);
    expect(leftInReport(report)).toEqual(leftOnScreen(resumed.stdout));
  });
});

describe('a run interrupted and resumed', () => {
  let server: Server;
  let base = '';
  let pid = 0;
  const bodies: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // A webhook on loopback: the first run is sent SIGTERM as its 'started' notice arrives.
    server = createServer((req, res) => {
      void read(req).then((text) => {
        const body = JSON.parse(text) as Record<string, unknown>;
        bodies.push(body);
        if (body.state === 'started' && bodies.length === 1) process.kill(pid, 'SIGTERM');
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );

  it('lists the interruption in the report, counts both sessions, and tells --notify what came back', async () => {
    const stopped = await run(['rehearse', '--yes', '--notify', base], {}, (p) => (pid = p));
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
    const id = runIdOf(stopped.stdout);
    const resumed = await run(['resume', id, '--yes', '--notify', base]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(doneLine(resumed.stdout, id)).toMatch(/^run \S+ is done in \d+\.\d s in all over 2 sessions \(this one \d+\.\d s; /);

    const report = reportOf(id);
    expect(report).toMatch(/- Run: \S+ \(recover-deleted-service\), rehearsal, done, /);
    expect(report).toMatch(/- Took: \d+\.\d s in all over 2 sessions/);
    expect(report).toMatch(
      /- Without the database: from its deletion at 2016-03-17T06:10:17Z \(the scenario's\) until it came back at \S+Z \(this rehearsal's clock\)/,
    );
    const timeline = section(report, 'Timeline (UTC)');
    expect(timeline).toMatch(/\| interrupted \(SIGTERM[^|]*\) by \S+ \|/);
    expect(timeline.indexOf('interrupted (SIGTERM')).toBeLessThan(timeline.indexOf('| resumed by'));
    expect(timeline).not.toContain('ended without a word');

    // What is left: the same on the screen, with the commands that remove what was kept aside.
    const left = leftInReport(report);
    expect(left).toEqual(leftOnScreen(resumed.stdout));
    expect(left).toContainEqual(
      expect.stringMatching(
        /^once the user is satisfied, remove the quarantined archive: aws s3 rm --recursive s3:\/\/our-postgresql-backups\/backups\/[0-9a-f-]{36}\/wal\.quarantine-\d{8}T\d{6}Z\/$/,
      ),
    );
    expect(left).toContainEqual(
      expect.stringMatching(
        /^once the user is satisfied, remove the moved-aside data: on 10\.58\.111\.150 \(\S+ of deployment \S+\), sudo rm -rf -- \/var\/vcap\/store\/cf-containers-broker\/cf-[0-9a-f-]{36}\/data\.moved-aside-\d{8}T\d{6}Z$/,
      ),
    );

    // The done notice says what was recovered: the instance, its service name and the data-loss window.
    const done = bodies.find((b) => b.state === 'done');
    expect(done?.text).toMatch(
      /is done: important-db \(6e101b27-ee1b-4f4d-a032-4401a3709ec3\) is back: without it from its deletion at 2016-03-17T06:10:17Z .*; data-loss window: up to 9 min: writes after 2016-03-17T06:01:30Z/,
    );
  });
});

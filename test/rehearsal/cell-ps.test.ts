/**
 * `docker ps` on the simulated cell words each container's state as Docker 1.11's daemon does
 * (container/state.go `State.String`, docker/go-units `HumanDuration`): how long it has been up, or
 * how long ago it exited and with what code, and a crash loop's container as restarting.
 */
import { describe, expect, it } from 'vitest';
import { humanDuration, ps } from '../../src/rehearsal/cell-ps.js';
import { crashLoopFrom, advanceCrashLoop } from '../../src/rehearsal/crash-loop.js';
import { NEVER, type CellWorld, type SimContainer } from '../../src/rehearsal/cell-world.js';
import { CONTAINER, sampleCell } from '../support/sample-cell.js';

const T0 = Date.parse('2016-03-18T00:41:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);

/** A container of the sample cell's image, named NAME, started at T0 unless OVER says otherwise. */
function container(name: string, over: Partial<SimContainer>): SimContainer {
  return { ...sampleCell().containers[CONTAINER]!, id: name.padEnd(64, '0'), name, startedAt: at(0).toISOString(), ...over };
}

describe("docker ps's status on the simulated cell", () => {
  it('words a duration as go-units does, each unit rounded down and one second singular', () => {
    const s = 1000;
    const h = 3600 * s;
    expect([0, 999, 1000, 1999, 2000, 59_999, 60_000, 119_999, 120_000, 59 * 60 * s].map(humanDuration)).toEqual([
      'Less than a second',
      'Less than a second',
      '1 second',
      '1 second',
      '2 seconds',
      '59 seconds',
      'About a minute',
      'About a minute',
      '2 minutes',
      '59 minutes',
    ]);
    expect([h, 2 * h - 1, 2 * h, 47 * h, 48 * h, 14 * 24 * h, 90 * 24 * h, 730 * 24 * h].map(humanDuration)).toEqual([
      'About an hour',
      'About an hour',
      '2 hours',
      '47 hours',
      '2 days',
      '2 weeks',
      '3 months',
      '2 years',
    ]);
  });

  it('lists up, exited, created and restarting containers with their times and exit codes', () => {
    // Its first attempt began 25 minutes in and exited 3 s later, 50 ms before the look.
    const looping = container('cf-looping', { startedAt: at(25 * 60_000).toISOString(), crashLoop: crashLoopFrom(at(25 * 60_000), 3000) });
    const cell: CellWorld = {
      ...sampleCell(),
      containers: {
        up: container('cf-up', {}),
        stopped: container('cf-stopped', { running: false, exitCode: 137, finishedAt: at(24 * 60_000).toISOString() }),
        created: container('cf-created', { running: false, startedAt: NEVER }),
        looping,
      },
    };
    const now = at(25 * 60_000 + 3050);
    advanceCrashLoop(looping, now);
    const listed = (args: string[]) =>
      ps(cell, [...args, '--format', '{{.Names}}\\t{{.Status}}'], now)
        .stdout.trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .sort();
    expect(listed(['-a'])).toEqual([
      ['cf-created', 'Created'],
      ['cf-looping', 'Restarting (0) Less than a second ago'],
      ['cf-stopped', 'Exited (137) About a minute ago'],
      ['cf-up', 'Up 25 minutes'],
    ]);
    // Restarting is running to the daemon: listed without -a.
    expect(listed([]).map(([name]) => name)).toEqual(['cf-looping', 'cf-up']);
  });
});

/**
 * Writes a snapshot as a scenario folder `rehearse --scenario DIR` loads: scenario.yaml, the kept
 * log lines under syslog/ (each file with its source's modification time, which dates its lines),
 * answers.yaml. The folder is 0700 and must be new or empty: a snapshot never overwrites.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../core/errors.js';
import type { ScenarioWorld } from '../rehearsal/world-shape.js';
import type { KeptLogs } from './logs-read.js';

export interface SnapshotFiles {
  dir: string;
  title: string;
  description: string;
  runbook?: string;
  world: ScenarioWorld;
  logs: KeptLogs;
  answers: Record<string, unknown>;
  /** Every text written passes through these (stand-ins for secrets). */
  clean: (text: string) => string;
  cleanLine: (line: string) => string;
}

/** Refuses a DIR that exists and holds anything (or is no folder), naming it and the flag that gave it. */
export function requireFreshDir(dir: string, flag = '--out'): string {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) {
    throw new UsageError(`${flag} ${abs} is a file, not a folder`, { hint: 'give a new folder (it is created) or an empty one' });
  }
  if (existsSync(abs) && readdirSync(abs).length > 0) {
    throw new UsageError(`${flag} ${abs} is not empty: a scenario is never written over other files`, {
      hint: 'pick another folder (a new one is created), or move this one aside',
    });
  }
  return abs;
}

/**
 * Checked before a run starts (--record): DIR is new or empty, and the folder it is or would be made
 * in can be written, so the scenario can be written when the time comes. Nothing is created yet.
 */
export function requireWritableDir(dir: string, flag: string): string {
  const abs = requireFreshDir(dir, flag);
  let at = abs;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${abs} cannot be written: ${at} is not writable by this user`, {
      hint: "give a folder under one you can write (your home, the run's state folder)",
    });
  }
  return abs;
}

/**
 * A file name for the lines of each source, in the order the sources were read, ending in `.log`
 * so that a search of the folder (`logs find --logs DIR/syslog`) reads it too.
 */
function logFileName(source: string, i: number): string {
  const base =
    basename(source)
      .replace(/\.(gz|lzo)$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '_') || 'lines';
  return `${String(i).padStart(2, '0')}-${base}${base.endsWith('.log') ? '' : '.log'}`;
}

/** Writes the folder; the paths written and their sizes, in order. */
export function writeSnapshot(f: SnapshotFiles): { path: string; bytes: number }[] {
  const dir = requireFreshDir(f.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const written: { path: string; bytes: number }[] = [];
  const put = (path: string, text: string, clean = f.clean(text)): void => {
    writeFileSync(path, clean, { mode: 0o600 });
    written.push({ path, bytes: Buffer.byteLength(clean) });
  };
  const scenario = { title: f.title, description: f.description, ...(f.runbook ? { runbook: f.runbook } : {}), world: f.world };
  put(join(dir, 'scenario.yaml'), stringify(scenario, { lineWidth: 0 }));
  const syslog = join(dir, 'syslog');
  mkdirSync(syslog, { mode: 0o700 });
  [...f.logs.files].forEach(([source, { lines, fileTime }], i) => {
    const path = join(syslog, logFileName(source, i));
    const text = lines.map((l) => `${f.cleanLine(l)}\n`).join('');
    put(path, text, text);
    utimesSync(path, fileTime, fileTime);
  });
  put(join(dir, 'answers.yaml'), stringify(f.answers));
  return written;
}

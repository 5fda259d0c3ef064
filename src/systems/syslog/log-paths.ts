/**
 * The files a search reads: folders walked recursively (rotated names and gzip included), each
 * folder and file once per (device, inode), and anything that is not a regular file reported,
 * never opened.
 */
import type { Stats } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isValidDate } from '../../adapters/log-dates.js';
import { reportProblem, type SearchReport } from '../../core/log-source.js';
import { errorText, notAFileWhy, whyUnreachable } from '../file-problems.js';

/** Names taken from a folder: syslog files and their rotations (`x.log`, `x.log.1`, `x.log.2.gz`, `syslog.3`). */
const LOG_NAME = /(\.log|^syslog|^messages|^daemon|^user|\.txt)(\.\d+)?(\.gz)?$|\.gz$/;

export interface Target {
  path: string;
  mtime: Date;
}

/** Folders and files met so far, by device and inode, with the first path each was met by. */
type Seen = Map<string, string>;

/** Expand folders; note files that cannot be read, folders met twice, and entries that are not logs. */
export async function expandPaths(paths: string[], report: SearchReport): Promise<(Target | '-')[]> {
  const out: (Target | '-')[] = [];
  const seen: Seen = new Map();
  for (const p of paths) {
    if (p === '-') out.push('-');
    else await visit(p, true, out, report, seen);
  }
  return out;
}

async function visit(path: string, given: boolean, out: (Target | '-')[], report: SearchReport, seen: Seen): Promise<void> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    reportProblem(report, 'unreadable', { path }, await whyUnreachable(path, err, given));
    return;
  }
  const id = `${st.dev}:${st.ino}`;
  if (st.isDirectory()) {
    const first = seen.get(id);
    if (first !== undefined) {
      reportProblem(report, 'loop', { path }, `the folder ${first} again (a symlink loop or a second link to it): searched once`);
      return;
    }
    seen.set(id, path);
    await walk(path, out, report, seen);
  } else if (st.isFile()) {
    if (!given && !LOG_NAME.test(basename(path))) {
      report.skippedFiles.push(path);
      return;
    }
    const first = seen.get(id);
    if (first !== undefined) {
      reportProblem(report, 'sameFile', { path }, `the same file as ${first} (a symlink or a hard link to it): read once`);
      return;
    }
    seen.set(id, path);
    let mtime = st.mtime;
    if (!isValidDate(mtime)) {
      mtime = new Date();
      reportProblem(
        report,
        'badDate',
        { path },
        'its modification time is out of range: the year of its RFC 3164 lines is inferred from the current time instead',
      );
    }
    out.push({ path, mtime });
  } else {
    reportProblem(report, 'notAFile', { path }, notAFileWhy(st, given));
  }
}

async function walk(dir: string, out: (Target | '-')[], report: SearchReport, seen: Seen): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    reportProblem(report, 'unreadable', { path: dir }, errorText(err));
    return;
  }
  for (const name of names) await visit(join(dir, name), false, out, report, seen);
}

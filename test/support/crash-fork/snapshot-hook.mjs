// Loaded with `node --import` into the uninterrupted rehearsal of a crash sweep (crash-sweep.ts),
// whose DINGO_RECOVER_FAILPOINTS arm every journal event. Where a failpoint would kill the process
// (SIGKILL of itself), this copies the state folder instead, into DINGO_TEST_FORK_SNAPSHOTS/SEQ
// (SEQ: the last journal event written), and lets the run go on: one run leaves the state a kill
// at each journal event would leave. What the run had then in its temporary folder (TMPDIR, its
// own), which lives outside the state folder and cannot be copied as it was, is listed in
// SEQ.outside: a kill point with such a list is killed for real instead.
import { appendFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const state = process.env.DINGO_TEST_FORK_STATE;
const snapshots = process.env.DINGO_TEST_FORK_SNAPSHOTS;
const tmp = process.env.TMPDIR;
if (!state || !snapshots || !tmp) throw new Error('snapshot-hook: DINGO_TEST_FORK_STATE, DINGO_TEST_FORK_SNAPSHOTS and TMPDIR must be set');

function lastSeq() {
  const [run, ...others] = readdirSync(join(state, 'runs'));
  if (!run || others.length) throw new Error(`snapshot-hook: expected one run in ${state}`);
  const lines = readFileSync(join(state, 'runs', run, 'journal.ndjson'), 'utf8')
    .trimEnd()
    .split('\n');
  return JSON.parse(lines.at(-1)).seq;
}

const kill = process.kill.bind(process);
process.kill = (pid, signal) => {
  if (pid !== process.pid || signal !== 'SIGKILL') return kill(pid, signal);
  try {
    const seq = lastSeq();
    cpSync(state, join(snapshots, String(seq)), { recursive: true });
    const outside = readdirSync(tmp);
    if (outside.length) writeFileSync(join(snapshots, `${seq}.outside`), outside.join('\n') + '\n');
  } catch (err) {
    // Told to the sweep, which fails; the run itself must not change course.
    appendFileSync(join(snapshots, 'errors'), `${err instanceof Error ? err.stack : String(err)}\n`);
  }
  return true;
};

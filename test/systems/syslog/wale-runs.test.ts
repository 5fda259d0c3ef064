/** wal-e's runs folded where large files are scanned: what is kept, what each kept line stands for, and what closes a run. */
import { describe, expect, it } from 'vitest';
import { WaleRuns } from '../../../src/systems/syslog/wale-runs.js';
import { brokerRecord, containerLines, walUpload } from '../../support/forged-lines.js';

const CELL = '14ddd22e-719e-4aca-b318-7f291c97fbba';
const ROUTER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';
const MINE = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const OTHER_NODE = 'd1d1d1d1-0000-4000-8000-000000000001';
const TENANT_NODE = '80a1b2c3-0000-4000-8000-000000000002';
const ARCHIVE = `s3://backups/backups/${MINE}/wal/`;
const FILE_TIME = new Date('2017-01-11T00:00:00Z');

const mine = containerLines(CELL, `cf-${NODE}`, MINE);
const other = containerLines(CELL, `cf-${OTHER_NODE}`, MINE);
const tenant = containerLines(CELL, `cf-${TENANT_NODE}`, 'f00d5e11-0000-4000-8000-00000000000b');
const upload = (segment: number): string => walUpload(ARCHIVE, segment.toString(16).padStart(24, '0'));
const structured = (iso: string): string =>
  `STRUCTURED: time=${iso}-00 pid=483 action=push-wal key=${ARCHIVE}wal_005/x.lzo prefix=backups/${MINE}/wal/ state=begin`;

/** The lines at offsets 0, 100, 200..., through the runs; what comes out, with what each stands for. */
function fold(lines: string[]): { line: string; offset: number; stands: number }[] {
  const out: { line: string; offset: number; stands: number }[] = [];
  const runs = new WaleRuns(
    {
      hit: (line, offset, stands) => out.push({ line, offset, stands: stands ?? 1 }),
      longLine: () => undefined,
      binaryLines: () => undefined,
    },
    FILE_TIME,
  );
  lines.forEach((l, i) => {
    runs.hit(l, i * 100);
  });
  runs.flush();
  return out;
}

describe('wal-e runs', () => {
  it('keep the first and the last line of a run, the last standing for itself and those between', () => {
    const lines = [1, 2, 3, 4, 5].map((s) => mine(`Jan 10 11:00:0${s}`, upload(s)));
    expect(fold(lines)).toEqual([
      { line: lines[0], offset: 0, stands: 1 },
      { line: lines[4], offset: 400, stands: 4 },
    ]);
  });

  it('fold each writer on its own and hand on what is kept in the order of the file', () => {
    const lines = [1, 2, 3].flatMap((s) => [mine(`Jan 10 11:00:0${s}`, upload(s)), other(`Jan 10 11:00:0${s}`, upload(s))]);
    expect(fold(lines).map((k) => [k.offset, k.stands])).toEqual([
      [0, 1],
      [100, 1],
      [400, 2],
      [500, 2],
    ]);
  });

  it('never fold a tenant container\u2019s line into another container\u2019s run, whatever archive it names', () => {
    const lines = [mine('Jan 10 11:00:01', upload(1)), tenant('Jan 10 11:00:02', upload(2)), mine('Jan 10 11:00:03', upload(3))];
    expect(fold(lines).map((k) => k.offset)).toEqual([0, 100, 200]);
    const stood = fold([...lines, tenant('Jan 10 11:00:04', upload(4)), tenant('Jan 10 11:00:05', upload(5))]);
    expect(stood.filter((k) => k.line.includes(`cf-${TENANT_NODE}`)).map((k) => [k.offset, k.stands])).toEqual([
      [100, 1],
      [400, 2],
    ]);
  });

  it('close every run before any other line, so a broker record is judged after the lines before it and before those after', () => {
    const record = `Jan 10 11:00:03 ${ROUTER} broker.stdout.log:  ${brokerRecord(1484046003.5, 'add-node.perform', { 'instance-id': MINE, 'node-uuid': NODE })}`;
    const lines = [1, 2].map((s) => mine(`Jan 10 11:00:0${s}`, upload(s)));
    const after = [4, 5, 6].map((s) => mine(`Jan 10 11:00:0${s}`, upload(s)));
    expect(fold([...lines, record, ...after]).map((k) => [k.offset, k.stands])).toEqual([
      [0, 1],
      [100, 1],
      [200, 1],
      [300, 1],
      [500, 2],
    ]);
  });

  it('start a run anew when time goes back, and let dated lines of another zone close the window', () => {
    const back = ['Jan 10 11:00:05', 'Jan 10 11:00:06', 'Jan 10 11:00:01', 'Jan 10 11:00:02'].map((t, i) => mine(t, upload(i)));
    expect(fold(back).map((k) => [k.offset, k.stands])).toEqual([
      [0, 1],
      [100, 1],
      [200, 1],
      [300, 1],
    ]);
    // Two hours between the syslog prefix and wal-e's own time: another zone, so the runs before are let go first.
    const dated = [
      mine('Jan 10 11:00:01', structured('2017-01-10T11:00:01.5')),
      mine('Jan 10 11:00:02', structured('2017-01-10T11:00:02.5')),
      mine('Jan 10 11:00:03', structured('2017-01-10T13:00:03.5')),
      mine('Jan 10 11:00:04', structured('2017-01-10T13:00:04.5')),
    ];
    expect(fold(dated).map((k) => [k.offset, k.stands])).toEqual([
      [0, 1],
      [100, 1],
      [200, 1],
      [300, 1],
    ]);
  });

  it('hand on alone what is not a wal-e line of a container, or whose time is not one', () => {
    const bad = mine('Jan 10 11:00:01', structured('2017-02-30T11:00:01.5'));
    const lines = [bad, bad, 'no syslog prefix /wal/ here', 'no syslog prefix /wal/ here'];
    expect(fold(lines).map((k) => [k.offset, k.stands])).toEqual([
      [0, 1],
      [100, 1],
      [200, 1],
      [300, 1],
    ]);
  });
});

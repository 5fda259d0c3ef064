/**
 * restore-to-time's first step: where the restore stops, read from the run's inputs with the drill's
 * own checks (a moment, a transaction, a WAL location, a restore point or the base backup's end;
 * inclusive or not; on which timeline), and the copy's name. Written as the drill's flags, which is
 * how the later steps read it and how the journal keeps it.
 */
import { defineAction, type ActionDef, defaulted, output, required } from '../../engine/runbook/index.js';
import { UsageError } from '../../core/errors.js';
import { parseTargetTime } from '../../drill/target-time.js';
import { describeTarget, recoveryTargetOf, targetFlags } from '../../drill/recovery-target.js';
import { COPY_NAME, defaultTargetCopyName } from '../../drill/copy-name.js';

/** The drill's flags → the runbook's inputs, so that a refusal names what the answers file holds. */
const INPUT_OF_FLAG: [RegExp, string][] = [
  [/--target immediate/g, 'targetImmediate: true'],
  [/--target-time/g, 'targetTime'],
  [/--target-xid/g, 'targetXid'],
  [/--target-lsn/g, 'targetLsn'],
  [/--target-name/g, 'targetName'],
  [/--target-exclusive/g, 'targetExclusive'],
  [/--target-timeline/g, 'targetTimeline'],
];

function asInputs(text: string): string {
  return INPUT_OF_FLAG.reduce((t, [flag, input]) => t.replace(flag, input), text);
}

const given = (v: string): string | undefined => (v.trim() === '' ? undefined : v);

/** The target the inputs ask for, refused naming the inputs when there is none, several, or one malformed. */
function targetOfInputs(p: {
  targetTime: string;
  targetXid: string;
  targetLsn: string;
  targetName: string;
  targetImmediate: boolean;
  targetExclusive: boolean;
  targetTimeline: string;
}) {
  try {
    const time = given(p.targetTime);
    const t = recoveryTargetOf({
      targetTime: time === undefined ? undefined : parseTargetTime(time, '--target-time'),
      targetXid: given(p.targetXid),
      targetLsn: given(p.targetLsn),
      targetName: p.targetName === '' ? undefined : p.targetName,
      target: p.targetImmediate ? 'immediate' : undefined,
      targetExclusive: p.targetExclusive,
      targetTimeline: given(p.targetTimeline),
    });
    if (t) return t;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`inputs: ${asInputs(err.message)}`, { hint: err.hint && asInputs(err.hint) });
  }
  throw new UsageError('inputs: no target to restore to: give one of targetTime, targetXid, targetLsn, targetName or targetImmediate', {
    hint: 'e.g. targetTime: "2016-11-21T14:01:30Z" (ISO 8601 with its zone), or targetXid: 1843 with targetExclusive: true to stop just before the transaction archive mistakes names',
  });
}

const readTarget = defineAction({
  name: 'pitr.target',
  summary: 'Read where the restore stops (a moment, a transaction, a WAL location, a restore point, immediate) and the name of the copy',
  effect: 'read',
  params: {
    targetTime: defaulted('string', '', 'the moment, ISO 8601 with its zone'),
    targetXid: defaulted('string', '', 'a transaction id (archive mistakes lists them)'),
    targetLsn: defaulted('string', '', 'a WAL location, e.g. 0/3000060'),
    targetName: defaulted('string', '', 'a restore point'),
    targetImmediate: defaulted('boolean', false, 'stop as soon as the base backup is consistent'),
    targetExclusive: defaulted('boolean', false, 'leave the target itself out'),
    targetTimeline: defaulted('string', '', 'latest (the default), current or a number'),
    instance: required('string', 'the instance (service name or GUID)'),
    copyName: defaulted('string', '', 'the name of the copy (empty: <name>-at-<YYYYMMDDTHHMM>, UTC, or what the target stops at)'),
  },
  outputs: {
    target: output('string[]', "the target, as the drill's flags (--target-xid 1234 --target-exclusive)"),
    describe: output('string', 'what comes back, in words: as it was just before transaction 1234'),
    time: output('string', 'the moment, ISO 8601 in UTC (to the microsecond when given so); empty for another target'),
    copyName: output('string', 'the name of the copy'),
  },
  result: (o) => `the database ${o.describe}; the copy is ${o.copyName}`,
  run(ctx, p) {
    const t = targetOfInputs(p);
    const name = p.copyName.trim();
    if (name && !COPY_NAME.test(name)) {
      throw new UsageError(`the copy's name "${name}" is not a service name`, {
        hint: 'use letters, digits, ".", "_" and "-" (64 at most, starting with a letter or digit), or leave it empty for the default',
      });
    }
    const copyName = name || defaultTargetCopyName(p.instance.trim(), t);
    const describe = describeTarget(t);
    const exactly = t.stop.kind === 'time' ? ` (a transaction committed exactly then is ${t.exclusive ? 'left out' : 'included'})` : '';
    ctx.evidence(`the database ${describe}${exactly}`);
    ctx.evidence(`the copy is named ${copyName}`);
    return Promise.resolve({ target: targetFlags(t), describe, time: t.stop.kind === 'time' ? t.stop.time.iso : '', copyName });
  },
});

export const restoreTimeTargetActions: ActionDef[] = [readTarget];

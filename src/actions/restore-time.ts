/**
 * The steps of restore-to-time: bring a Dingo instance's database back as it was at a moment,
 * beside the live one, from its wal-e archive. Nothing here writes to the instance or its archive.
 */
import { defineAction, type ActionDef, defaulted, output, required } from '../engine/action.js';
import { UsageError } from '../core/errors.js';
import { parseTargetTime } from '../drill/target-time.js';
import { COPY_NAME, defaultCopyName } from '../drill/copy-name.js';

const moment = defineAction({
  name: 'pitr.moment',
  summary: 'Read the moment to restore to (ISO 8601 with its zone) and the name of the copy',
  effect: 'read',
  params: {
    targetTime: required('string', 'the moment, ISO 8601 with its zone'),
    instance: required('string', 'the instance (service name or GUID)'),
    copyName: defaulted('string[]', [], 'the name of the copy (none: <name>-at-<YYYYMMDDTHHMM>, UTC)'),
  },
  outputs: {
    time: output('string', 'the moment, ISO 8601 in UTC'),
    text: output('string', 'the moment as PostgreSQL reads it'),
    copyName: output('string', 'the name of the copy'),
  },
  run(ctx, p) {
    const t = parseTargetTime(p.targetTime, 'the moment');
    const given = p.copyName[0]?.trim() ?? '';
    if (given && !COPY_NAME.test(given)) {
      throw new UsageError(`the copy's name "${given}" is not a service name`, {
        hint: 'use letters, digits, ".", "_" and "-" (64 at most, starting with a letter or digit), or leave it empty for the default',
      });
    }
    const copyName = given || defaultCopyName(p.instance.trim(), t.at);
    ctx.evidence(`the database as it was at ${t.at.toISOString()} (a transaction committed exactly then is included)`);
    ctx.evidence(`the copy is named ${copyName}`);
    return Promise.resolve({ time: t.at.toISOString(), text: t.text, copyName });
  },
});

export const restoreTimeActions: ActionDef[] = [moment];

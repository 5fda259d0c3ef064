/**
 * The steps of restore-to-time: bring a Dingo instance's database back as it was at a moment (or another target),
 * beside the live one, from its wal-e archive. Nothing here writes to the instance or its archive.
 */
import { ARCHIVE_ENDED_FIRST } from '../../drill/drill-report.js';
import { join } from 'node:path';
import { defineAction, type ActionDef, optional, output, required } from '../../engine/runbook/index.js';
import { reportOutputs } from '../support/params.js';
import { StepFailed } from '../../core/errors.js';
import { commandLine, quote, scenarioFlag } from '../../core/command-line.js';
import { guidInSpace } from '../support/cf.js';

const copyInto = defineAction({
  name: 'pitr.copy-into',
  summary: 'Decide whether the copy is handed over as dump files or created as a new service',
  effect: 'read',
  params: {
    into: required('string', '"dumps" or "service"'),
    copyName: required('string', 'the name of the copy'),
    restored: required('boolean', 'the copy was restored here'),
  },
  outputs: {
    services: output('string[]', "the new service to create: the copy's name, or none"),
    asService: output('boolean', 'the copy becomes a new service (false: it is handed over as dump files)'),
  },
  result: (o) => (o.services.length ? `the copy becomes the new service ${o.services[0]}` : 'the copy is handed over as dump files'),
  run(ctx, p) {
    if (p.into !== 'service') return Promise.resolve({ services: [], asService: false });
    if (!p.restored) ctx.note(`the service ${p.copyName} is created empty: the copy was not restored here, so there is no dump to load`);
    return Promise.resolve({ services: [p.copyName], asService: true });
  },
});

/**
 * The copy's name, checked free before the long restore: the check create-solo makes before creating
 * it comes after the restore and the dumps, many minutes in. That check stays (the name may be taken
 * meanwhile, and it adopts what an abandoned run created); this one only reads.
 */
const checkCopyName = defineAction({
  name: 'pitr.check-copy-name',
  summary: "Check early that the copy's name is free, when the copy is created as a new service",
  effect: 'read',
  params: {
    into: required('string', '"dumps" or "service"'),
    copyName: required('string', 'the name of the copy'),
    spaceGuid: required('string', 'the space the copy is created in'),
  },
  outputs: { checked: output('boolean', 'the name was checked (false: the copy is handed over as dump files)') },
  result: (o) => (o.checked ? "the copy's name is free" : 'nothing to check: the copy is handed over as dump files, no service is created'),
  async run(ctx, p) {
    if (p.into !== 'service') return { checked: false };
    const guid = await guidInSpace(ctx, p.copyName, p.spaceGuid);
    if (!guid) {
      ctx.evidence(`no service instance named ${p.copyName} in the space: the copy can be created under that name`);
      return { checked: true };
    }
    const earlier = ctx.adoptable.find((a) => a.instanceGuid === guid);
    if (earlier) {
      ctx.note(
        `${p.copyName} (GUID ${guid}) was created by the abandoned run ${earlier.runId}: before creating the copy the run asks whether to adopt it`,
      );
      return { checked: true };
    }
    throw new StepFailed(
      `the copy cannot be created as "${p.copyName}": a service instance of that name already exists in the space (GUID ${guid})`,
      {
        hint: `nothing was restored or changed. Either rename or delete the instance named ${p.copyName} (cf rename-service / cf delete-service, once the user agrees), then resume; or give the copy another name: end this run (${commandLine(['abandon', ctx.runId, '--reason', 'copy name taken'])}) and start again with another inputs.copyName`,
      },
    );
  },
});

const report = defineAction({
  name: 'pitr.report',
  summary: 'Report what came back from when, and where it is',
  effect: 'read',
  params: {
    instanceGuid: required('string', 'the instance'),
    serviceName: required('string', 'its name'),
    live: required('boolean', 'cf still knows it'),
    archiveUrl: required('string', 'its archive'),
    describe: required('string', 'what came back, in words: as it was at a moment, just before transaction 1234'),
    target: optional('string[]', "where the restore stops, as the drill's flags"),
    restored: required('boolean', 'the copy was restored here'),
    why: required('string', 'why it was not'),
    backup: required('string', 'the base backup restored'),
    lastTransactionAt: required('string', 'the newest transaction in the copy'),
    stoppedBefore: required('string', 'a moment: the first transaction left out'),
    stopped: optional('string', 'another target: where PostgreSQL stopped replay, in its words'),
    outDir: required('string', 'the folder of the dumps'),
    verified: required('string[]', 'the dumps proven to restore'),
    services: required('string[]', 'the new service the copy was created as (none: dump files only)'),
    apps: optional('string[]', 'the apps bound to it'),
    plan: optional('string', 'the plan it was sized for'),
    soloPlan: optional('string', 'the single-node plan it was created with'),
    mergePatch: optional('string', 'the merge patch applied to the live database (empty: no merge)'),
    mergeInserts: optional('number', 'rows the merge put back'),
    mergeUpdates: optional('number', 'rows the merge reverted'),
    mergeDatabase: optional('string', 'the live database merged into'),
    mergeTables: optional('string[]', 'per table: the rows the merge put back, reverted and left as they were'),
    mergeLeft: optional('string[]', 'per table: the changed rows the merge left as they are'),
  },
  outputs: {
    ...reportOutputs,
    summary: output('string', 'what came back from when (Markdown), the head of the incident report'),
    todo: output('string[]', 'what is left, a short line each, for the end of the run'),
  },
  run(ctx, p) {
    const who = `${p.instanceGuid}${p.serviceName ? ` ("${p.serviceName}")` : ''}`;
    const lines = p.restored
      ? [
          `- The database of ${who} ${p.describe}, from ${p.archiveUrl}: base backup ${p.backup}, WAL replayed up to there`,
          `- Newest transaction in the copy: ${p.lastTransactionAt || 'unknown'}`,
          `- ${
            p.stopped
              ? `PostgreSQL stopped replay ${p.stopped}; what was written from then on is not in the copy`
              : p.stoppedBefore
                ? `First transaction left out: ${p.stoppedBefore}; what was written from then on is not in the copy`
                : `Replay reached the end of the archived WAL before the moment: ${ARCHIVE_ENDED_FIRST(p.lastTransactionAt || 'the base backup')}`
          }`,
          `- Dumps (pg_dump -Fc, 0600), each restored into a scratch server as a role that is no superuser: ${p.verified.join(', ') || 'none'}`,
          `- Folder: ${p.outDir}`,
        ]
      : [`- Nothing was restored here: ${p.why}`];
    const service = p.services[0];
    const apps = p.apps ?? [];
    const made = [
      `created as ${p.soloPlan ?? 'solo'}, the dumps loaded into its leader`,
      apps.length ? `bound to ${apps.join(', ')}` : 'no app bound',
      ...(p.plan && p.plan !== p.soloPlan ? [`grown to the plan ${p.plan}`] : []),
    ].join(', ');
    // A deleted instance's copy under the instance's own name is the instance back, as it was at the moment (recover --target-time);
    // nothing restored, the new service is empty and nothing is back.
    const back = p.restored && service !== undefined && !p.live && service === p.serviceName;
    if (service && !p.restored)
      lines.push(
        `- The new service ${service} was created EMPTY, as nothing was restored${p.live ? '' : ': the deleted instance is NOT back'}`,
      );
    else if (service)
      lines.push(
        back
          ? `- The deleted instance is back under its own name, as the new service ${service}, ${p.describe} (not at its last write): ${made}`
          : `- The copy is the new service ${service}: ${made}`,
      );
    // A patch planned was applied: the run reaches its report only past the apply step.
    const into = `the live database ${p.mergeDatabase ? `${p.mergeDatabase} ` : ''}of ${who}`;
    const merged = p.mergePatch
      ? `- Merged back into ${into}, in one transaction: ${p.mergeInserts ?? 0} row(s) put back, ${p.mergeUpdates ?? 0} reverted, rows written since left alone (the patch: ${p.mergePatch})`
      : undefined;
    const left = p.mergePatch ? (p.mergeLeft ?? []) : [];
    if (merged) {
      lines.push(merged, ...(p.mergeTables ?? []).map((t) => `  - ${t}`));
      if (left.length) lines.push(`- Left as they are in the live database, changed since the target: ${left.join('; ')}`);
    } else
      lines.push(
        `- ${p.live ? 'The live instance was not touched: only its archive was read' : 'The instance is deleted; its archive was only read'}`,
      );
    const todo = !p.restored
      ? [
          `restore the archive ${p.describe} where its PostgreSQL major runs (${quote(['dingo-recover', 'drill', p.archiveUrl, ...(p.target ?? []), ...scenarioFlag(ctx.platform)])}), dump it, and ${service ? `load the dumps into ${service}` : 'hand the dumps to the user'}`,
        ]
      : back
        ? [`tell the user ${service} is back ${p.describe}: what was written after that moment is not in it; the apps are bound to it`]
        : service
          ? [`tell the user the copy is ${service}: they take what they need from it, then delete it (cf delete-service ${service})`]
          : merged
            ? [
                `the dumps of the copy in ${p.outDir} are for reading what it held, not for the live database, which has the rows merged back: restore one only into a new, empty database (createdb NEWDB; pg_restore --no-owner -d NEWDB FILE)`,
              ]
            : [`restore a dump where the user wants it: pg_restore --no-owner -d DB FILE (the dumps are in ${p.outDir})`];
    if (merged) {
      todo.unshift(
        `tell the user what was written into ${into}: ${p.mergeInserts ?? 0} row(s) put back, ${p.mergeUpdates ?? 0} reverted, in one transaction (the patch ${p.mergePatch} lists every row)`,
        ...left.map((l) => `decide with the user on the rows changed since the target that the merge left as they are: ${l}`),
      );
    }
    for (const l of lines) ctx.note(l);
    return Promise.resolve({ reportFile: join(ctx.runDir, 'report.md'), summary: lines.join('\n'), todo });
  },
});

export const restoreTimeActions: ActionDef[] = [checkCopyName, copyInto, report];

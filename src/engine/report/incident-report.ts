/**
 * The incident report: a Markdown page an operator pastes into the ticket, derived from the run's
 * transcript alone (so `show --format markdown` rebuilds it at any time). It tells what came back
 * from where, each decision with its evidence, who confirmed what and when, what was kept aside and
 * where, the data-loss window, the timeline in UTC, and what is left to do.
 */
import { commandLine } from '../../core/command-line.js';
import { correctionText, settingsChangeText, who, type Transcript } from './transcript-model.js';
import { printable } from '../../core/display.js';
import { evidenceLines, itemSections, summaries } from './incident-items.js';
import { textOf } from '../../core/json.js';
import { behind, declares, readOf, reported, text, type Named } from './reported.js';
import { cell, stepSections, timeline, utc } from './incident-sections.js';
import { doneWords } from './run-done.js';
import { lastMomentPhrase, lossWindow } from './loss-window.js';
import { tookWords } from './run-durations.js';
import { outageLines, stepName, warnedSteps, whatIsLeft } from './run-outcome.js';

function grownLine(t: Transcript): string[] {
  const replicas = reported(t.declared, 'replicas');
  if (!replicas) return [];
  return [
    `- Grown to ${replicas.length + 1} nodes: ${replicas.join(', ')} stream from the restored leader (system identifier ${text(t.declared, 'systemIdentifier')})`,
  ];
}

function decisions(t: Transcript): string[] {
  const lines: string[] = [];
  for (const s of t.steps.filter((st) => !st.item)) {
    const evidence = evidenceLines(s, t.runId);
    if (evidence.length) lines.push(`### ${s.title}`, '', ...evidence, '');
  }
  return lines;
}

function confirmations(t: Transcript): string[] {
  const rows = t.steps.filter((s) => !s.item).flatMap((s) => s.confirmations.map((c) => ({ s, c })));
  if (!rows.length) return ['No step was confirmed.', ''];
  return [
    '| step | confirmed by | when | how | typed |',
    '|---|---|---|---|---|',
    ...rows.map(
      ({ s, c }) => `| ${cell(s.id)} | ${cell(who(c.by, c.operator))} | ${utc(c.at)} | ${cell(c.method)} | ${cell(c.typed ?? '')} |`,
    ),
    '',
  ];
}

/** Each step that could not do all its work, and why: the first thing a reader of the report must see. */
function warningSection(t: Transcript): string[] {
  const warned = warnedSteps(t);
  if (!warned.length) return [];
  return ['## Warnings', '', ...warned.flatMap((s) => s.warnings.map((w) => `- ${stepName(s)}: ${w}`)), ''];
}

/**
 * The archive's last moment as measured: the drill's last replayed commit where it ran, else the
 * served partial's LastModified once the copy step served one to the container's wal-e, else the
 * inspection's newest WAL time. Each is that step's own evidence, the step found as the one the
 * runbook's `drilled`, `copied` and `lastSegmentAt` outputs are taken from.
 */
function lastMomentLine(t: Transcript): string[] {
  const d = t.declared;
  const drill = readOf('drilled', behind(t, d, 'drilled'));
  const drilled = drill.lastTransactionAt ?? '';
  const partials = drill.servedPartials ?? [];
  const inspected = readOf('lastSegmentAt', behind(t, d, 'lastSegmentAt'));
  const copied = readOf('copied', behind(t, d, 'copied'));
  const served = copied.servedMomentAt ?? '';
  const replayed = partials.length
    ? `the last commit the drill replayed, with WAL from ${partials.join(', ')}, which the recovery ${served ? 'served under its full name' : 'serves under its full name once the archive is copied in'}`
    : 'the last commit the drill replayed from the archive';
  const [at, source] = drilled
    ? [drilled, replayed]
    : served
      ? [served, copied.servedMomentSource ?? '']
      : [inspected.lastMomentAt ?? '', inspected.lastMomentSource ?? ''];
  return at ? [`- Measured: ${lastMomentPhrase(text(d, 'deletedAt'), at, source)}`] : [];
}

/**
 * The head of a deleted instance's recovery into a new one: what came back from where (the run's
 * subject), into what, and what was kept aside (its declared outputs).
 */
function instanceHead(t: Transcript): string[] {
  const out = (name: Named<'string'>): string => text(t.declared, name);
  const cellIp = out('cellIp');
  const container = out('container');
  return [
    `# Recovery of ${textOf(t.inputs.serviceName) || '?'}${t.mode === 'rehearsal' ? ' (REHEARSAL)' : ''}`,
    '',
    ...runLines(t),
    `- Deleted instance (OLD): ${t.subject?.instanceGuid || '?'}; name ${out('nameProof') || '?'}; chosen by ${out('decidedBy') || '?'}`,
    `- Restored from: ${t.subject?.archiveUrl || '?'} (LATEST base backup ${out('latestBackup') || '?'}, newest archived WAL ${out('lastSegment') || '?'} at ${utc(out('lastSegmentAt'))})`,
    `- Into the new instance: ${out('newGuid') || '(not created yet)'}${container ? `, container ${container} on cell ${cellIp}` : ''}`,
    `- Data-loss window: ${lossWindow(out('deletedAt'), out('lastSegmentAt'))}`,
    ...lastMomentLine(t),
    ...grownLine(t),
    '',
    ...warningSection(t),
    ...summaries(t, t.declared),
    '## Kept aside, never deleted',
    '',
    `- The new instance's original archive: ${out('quarantineUrl') || '(not moved yet)'}`,
    `- The new container's original data: ${out('dataAside') ? `${out('dataAside')} on ${cellIp}` : '(not moved yet)'}`,
    '',
    ...stepSections(t, t.declared),
  ];
}

/**
 * The head of a run that recovered its instances in for-each items (a whole space: each item has its
 * own section), or of any other (a Docker volume's recovery, a restore to a moment): `title`, then what
 * its report steps summed up, and its items.
 */
function sectionedHead(t: Transcript, title: string): string[] {
  return [
    `# ${title}${t.mode === 'rehearsal' ? ' (REHEARSAL)' : ''}`,
    '',
    ...runLines(t),
    '',
    ...warningSection(t),
    ...summaries(t, t.declared),
    ...itemSections(t),
  ];
}

/** --record: where the scenario of the platform as the run found it is, to replay in the postmortem, or why none was written. */
function scenarioLine(t: Transcript): string[] {
  const last = t.scenarios.at(-1);
  if (!last) return [];
  if (!last.written) return [`- Scenario: none written to \`${last.dir}\`: ${last.reason ?? 'no reason recorded'}`];
  const when = last.before ? `before step ${last.before} changed it` : 'the run changed nothing';
  return [
    `- Scenario of the platform as the run found it (${when}): \`${last.dir}\`; replay it with \`${commandLine(['rehearse', '--scenario', last.dir])}\``,
  ];
}

/** How the run stands in words: done, done with warnings, or not finished and why. */
function standing(t: Transcript): string {
  return t.status === 'done' ? doneWords(warnedSteps(t).length) : `not finished: ${t.status}`;
}

function runLines(t: Transcript): string[] {
  const cf = 'org' in t.inputs || 'space' in t.inputs;
  return [
    `- Run: ${t.runId} (${t.runbook}), ${t.mode}, ${standing(t)}, started with ${t.tool ?? 'an unrecorded version of dingo-recover'}`,
    `- Started ${utc(t.createdAt)}, ${t.status === 'done' ? 'ended' : 'last event'} ${utc(t.lastEventAt)} (times in UTC, ISO 8601)`,
    `- Took: ${tookWords(t)}`,
    ...outageLines(t),
    ...(cf ? [`- Org / space: ${textOf(t.inputs.org) || '?'} / ${textOf(t.inputs.space) || '?'}`] : []),
    ...[...t.corrections.map(correctionText), ...t.settingsChanges.map(settingsChangeText)].map(
      (l) => `- ${l[0]!.toUpperCase()}${l.slice(1)}`,
    ),
    ...scenarioLine(t),
  ];
}

/**
 * What the run recovered, as its runbook declares it: a space's instances one item each (its subject
 * a space), a deleted instance brought back into a new one (it declares `newGuid`), or something
 * else its report sums up (a Docker volume's data, a copy made beside an instance).
 */
function kindOf(t: Transcript): 'instance' | 'items' | 'summary' {
  if (t.about === 'space') return 'items';
  return declares(t.declared, 'newGuid') ? 'instance' : 'summary';
}

export function renderIncidentReport(t: Transcript): string {
  const kind = kindOf(t);
  const head = {
    instance: () => [...instanceHead(t), ...itemSections(t)],
    items: () => sectionedHead(t, `Recovery of ${textOf(t.inputs.space) || textOf(t.inputs.serviceName) || t.runbook}`),
    summary: () => sectionedHead(t, t.runbook),
  }[kind];
  const left = whatIsLeft(t);
  const lines = [
    ...head(),
    '## Decisions and their evidence',
    '',
    ...decisions(t),
    '## Confirmations',
    '',
    ...confirmations(t),
    '## Timeline (UTC)',
    '',
    ...timeline(t),
    '## What is left',
    '',
    ...(left.length ? left.map((l) => `- ${l}`) : ['- Nothing.']),
  ];
  // Evidence quotes remote bytes (log lines, command output): shown as escapes, never raw.
  return printable(lines.join('\n') + '\n');
}

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
import { textOf, textsOf } from '../../core/json.js';
import { cell, stepSections, timeline, utc } from './incident-sections.js';
import { doneWords, lastMomentPhrase, lossWindow, outageLines, stepName, tookWords, warnedSteps, whatIsLeft } from './run-outcome.js';

type Outputs = Record<string, unknown>;

/** The outputs of the run's own step (not an item's) running `action`. */
function outputsOf(t: Transcript, action: string): Outputs {
  return t.steps.find((s) => !s.item && s.action === action && s.outputs)?.outputs ?? {};
}

function grownLine(t: Transcript): string[] {
  const verified = outputsOf(t, 'cell.verify-replicas');
  if (!Array.isArray(verified.replicas)) return [];
  const replicas = verified.replicas.map(String);
  return [
    `- Grown to ${replicas.length + 1} nodes: ${replicas.join(', ')} stream from the restored leader (system identifier ${textOf(verified.systemIdentifier)})`,
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
 * inspection's newest WAL time.
 */
function lastMomentLine(t: Transcript, deletedAt: string): string[] {
  const drill = outputsOf(t, 'archive.drill');
  const drilled = textOf(drill.lastTransactionAt);
  const partials = textsOf(drill.servedPartials);
  const inspected = outputsOf(t, 'archive.inspect');
  const copied = outputsOf(t, 'archive.copy');
  const served = textOf(copied.servedMomentAt);
  const replayed = partials.length
    ? `the last commit the drill replayed, with WAL from ${partials.join(', ')}, which the recovery ${served ? 'served under its full name' : 'serves under its full name once the archive is copied in'}`
    : 'the last commit the drill replayed from the archive';
  const [at, source] = drilled
    ? [drilled, replayed]
    : served
      ? [served, textOf(copied.servedMomentSource)]
      : [textOf(inspected.lastMomentAt), textOf(inspected.lastMomentSource)];
  return at ? [`- Measured: ${lastMomentPhrase(deletedAt, at, source)}`] : [];
}

/** The head of a single instance's recovery: what came back from where, into what, and what was kept aside. */
function instanceHead(t: Transcript): string[] {
  const found = outputsOf(t, 'logs.find-deleted');
  const inspected = outputsOf(t, 'archive.inspect');
  const created = outputsOf(t, 'cf.create-service');
  const container = outputsOf(t, 'logs.find-instance');
  const quarantine = textOf(outputsOf(t, 'archive.quarantine').quarantineUrl);
  const aside = textOf(outputsOf(t, 'cell.move-data-aside').asideDir);
  return [
    `# Recovery of ${textOf(t.inputs.serviceName) || '?'}${t.mode === 'rehearsal' ? ' (REHEARSAL)' : ''}`,
    '',
    ...runLines(t),
    `- Deleted instance (OLD): ${textOf(found.instanceGuid) || '?'}; name ${textOf(found.nameProof) || '?'}; chosen by ${textOf(found.decidedBy) || '?'}`,
    `- Restored from: ${textOf(found.archiveUrl) || '?'} (LATEST base backup ${textOf(inspected.latest) || '?'}, newest archived WAL ${textOf(inspected.lastSegment) || '?'} at ${utc(textOf(inspected.lastSegmentAt))})`,
    `- Into the new instance: ${textOf(created.instanceGuid) || '(not created yet)'}${textOf(container.container) ? `, container ${textOf(container.container)} on cell ${textOf(container.cellIp)}` : ''}`,
    `- Data-loss window: ${lossWindow(textOf(found.deletedAt), textOf(inspected.lastSegmentAt))}`,
    ...lastMomentLine(t, textOf(found.deletedAt)),
    ...grownLine(t),
    '',
    ...warningSection(t),
    ...summaries(t.steps.filter((s) => !s.item)),
    '## Kept aside, never deleted',
    '',
    `- The new instance's original archive: ${quarantine || '(not moved yet)'}`,
    `- The new container's original data: ${aside ? `${aside} on ${textOf(container.cellIp)}` : '(not moved yet)'}`,
    '',
    ...stepSections(t.steps.filter((s) => !s.item)),
  ];
}

/** The head of a run that recovered its instances in for-each items (a whole space): each item has its own section. */
function itemsHead(t: Transcript): string[] {
  const where = textOf(t.inputs.space) || textOf(t.inputs.serviceName) || t.runbook;
  return [
    `# Recovery of ${where}${t.mode === 'rehearsal' ? ' (REHEARSAL)' : ''}`,
    '',
    ...runLines(t),
    '',
    ...warningSection(t),
    ...summaries(t.steps.filter((s) => !s.item)),
    ...itemSections(t),
  ];
}

/** The head of any other run (a Docker volume's recovery, a restore to a moment): what its report steps summed up, and its items. */
function summaryHead(t: Transcript): string[] {
  return [
    `# ${t.runbook}${t.mode === 'rehearsal' ? ' (REHEARSAL)' : ''}`,
    '',
    ...runLines(t),
    '',
    ...warningSection(t),
    ...summaries(t.steps.filter((s) => !s.item)),
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
 * What the run recovered: one Dingo instance, a space's instances one item each (each swapping an
 * archive into a new instance), or something else its report sums up (a copy made beside a live
 * instance in an item of its own moves nothing aside and loses nothing).
 */
function kindOf(t: Transcript): 'instance' | 'items' | 'summary' {
  const swaps = t.steps.some((s) => s.item && s.action === 'archive.quarantine');
  if (swaps && !outputsOf(t, 'logs.find-deleted').instanceGuid) return 'items';
  return t.steps.some((s) => !s.item && s.action === 'logs.find-deleted') ? 'instance' : 'summary';
}

export function renderIncidentReport(t: Transcript): string {
  const kind = kindOf(t);
  const head = { instance: () => [...instanceHead(t), ...itemSections(t)], items: () => itemsHead(t), summary: () => summaryHead(t) }[kind];
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

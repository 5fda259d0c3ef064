/** Which deleted instance a run restores, and the log lines that prove a finding. */
import type { StepContext } from '../../engine/executor/index.js';
import { messageOf, StepFailed } from '../../core/errors.js';
import { FROM_EVENTS, INSTANCE_EVENT_TYPES, withAuditEvents } from '../../logs/audit-proof.js';
import { describeCandidate, settle, type Settled } from '../../logs/choice.js';
import type { Candidate, FindResult } from '../../logs/types.js';
import { cfApi } from './cf.js';

/** The choice of the actions that find a deleted instance, when the evidence does not settle it. */
export const DELETED_INSTANCE_CHOICE = {
  description: 'which deleted instance is the one the user asks for, when the evidence does not settle it',
};

/** Evidence lines shown per candidate when the operator must choose. */
const EVIDENCE_SHOWN = 6;

/**
 * The evidence decides only when it settles the choice; otherwise the operator does, through the
 * run's `deletedInstance` choice (choose.deletedInstance in the answers file, --deleted-instance, or the
 * question at a terminal). A value given beforehand stands over the evidence. --yes never decides.
 */
export async function chooseDeleted(
  ctx: StepContext,
  found: FindResult,
  wanted: string,
  spaceGuid: string | undefined,
): Promise<{ chosen: Candidate; decidedBy: string; candidates: Candidate[] }> {
  const given = ctx.choices.given('deletedInstance');
  const byLogs = settle(found.candidates, wanted);
  // What the logs and records leave open, the Cloud Controller's audit events of the space may settle.
  const result = given === undefined && !byLogs.candidate && spaceGuid ? await withEvents(ctx, found, spaceGuid, wanted) : found;
  const settled = result === found ? byLogs : settle(result.candidates, wanted);
  return { ...(await decide(ctx, result, wanted, given !== undefined, settled)), candidates: result.candidates };
}

/** The candidates with what the audit events of the user's space prove; unchanged (with a note) when the CC cannot be asked. */
async function withEvents(ctx: StepContext, found: FindResult, spaceGuid: string, wanted: string): Promise<FindResult> {
  try {
    const { events } = await (await cfApi(ctx)).events(INSTANCE_EVENT_TYPES, { spaceGuid });
    const proven = withAuditEvents(found, events, spaceGuid, wanted);
    const placed = proven.candidates.filter((c) => c.spaceFrom === FROM_EVENTS).map((c) => c.instanceGuid);
    ctx.note(
      `${events.length} audit event(s) of service instances in space ${spaceGuid}${placed.length ? `: they place ${placed.join(', ')} in it` : ': none names a candidate'}`,
    );
    return proven;
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    ctx.warn(`the Cloud Controller's audit events of space ${spaceGuid} could not be read (${messageOf(err)}): they prove nothing here`);
    return found;
  }
}

async function decide(
  ctx: StepContext,
  { candidates, otherSpace }: Pick<FindResult, 'candidates' | 'otherSpace'>,
  wanted: string,
  given: boolean,
  settled: Settled,
): Promise<{ chosen: Candidate; decidedBy: string }> {
  ctx.note(`${candidates.length} deleted instance(s) considered for "${wanted}":`);
  for (const c of candidates) ctx.note(`  ${describeCandidate(c)}`);
  for (const o of otherSpace) ctx.note(`  set aside: ${o.instanceGuid}${o.serviceName ? ` "${o.serviceName}"` : ''}: ${o.why}`);
  if (!given && settled.candidate) {
    ctx.evidence(`chosen by the evidence: ${settled.why}`);
    return { chosen: settled.candidate, decidedBy: 'the evidence' };
  }
  if (!given) {
    ctx.note(`the evidence does not settle which instance to restore: ${settled.why}`);
    for (const c of candidates) showEvidence(ctx, c);
  }
  const d = await ctx.choices.choose({
    key: 'deletedInstance',
    message: `Which deleted instance is the user's "${wanted}"? (${settled.why})`,
    stop: `the evidence does not settle which deleted instance to restore as "${wanted}": ${settled.why}`,
    options: candidates.map((c) => ({ value: c.instanceGuid, name: describeCandidate(c) })),
    read: (v) => v.trim().toLowerCase(),
    example: 'GUID',
    check: (guid) => {
      const elsewhere = otherSpace.find((o) => o.instanceGuid === guid);
      if (elsewhere) return `it is not the user's: ${elsewhere.why}`;
      return candidates.some((c) => c.instanceGuid === guid)
        ? true
        : `it is not one of the candidates found (${candidates.map((c) => c.instanceGuid).join(', ') || 'none'}): search more logs (--logs, --es-url, --clusterdata), or check the org and space with the user`;
    },
  });
  return {
    chosen: candidates.find((c) => c.instanceGuid === d.value)!,
    decidedBy: d.by.startsWith('the operator') ? d.by : `the operator (${d.by})`,
  };
}

/** What is known of a candidate the operator may choose: its description, then the lines that show it. */
function showEvidence(ctx: StepContext, c: Candidate): void {
  ctx.note(`evidence of ${c.instanceGuid}:`);
  for (const e of c.evidence.slice(0, EVIDENCE_SHOWN)) ctx.note(`  ${e.why}${e.line ? `\n    ${e.source}: ${clip(e.line)}` : ''}`);
  if (c.evidence.length > EVIDENCE_SHOWN)
    ctx.note(`  … and ${c.evidence.length - EVIDENCE_SHOWN} more (dingo-recover logs find lists them all)`);
}

function clip(line: string): string {
  return line.length > 240 ? line.slice(0, 240) + '…' : line;
}

/** The first `most` log lines that prove a finding, each under why it counts (clipped to 240 characters). */
export function reportFindings(ctx: StepContext, evidence: readonly { why: string; source: string; line: string }[], most: number): void {
  for (const e of evidence.slice(0, most)) ctx.evidence(`${e.why}\n  ${e.source}: ${clip(e.line)}`);
}

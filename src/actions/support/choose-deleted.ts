/** Which deleted instance a run restores, and the log lines that prove a finding. */
import type { StepContext } from '../../engine/run/index.js';
import { NeedsOperator, UsageError } from '../../core/errors.js';
import { describeCandidate, settle } from '../../logs/choice.js';
import type { Candidate } from '../../logs/types.js';

/**
 * The evidence decides only when it settles the choice; otherwise the operator does: at the prompt,
 * through `choose.deletedInstance` in the answers file or `--deleted-instance`. --yes never decides.
 */
export async function chooseDeleted(
  ctx: StepContext,
  candidates: Candidate[],
  wanted: string,
): Promise<{ chosen: Candidate; decidedBy: string }> {
  const given = ctx.answers.choose.deletedInstance ?? ctx.settings.deletedInstance;
  const settled = settle(candidates, wanted);
  ctx.note(`${candidates.length} deleted instance(s) considered for "${wanted}":`);
  for (const c of candidates) ctx.note(`  ${describeCandidate(c)}`);
  if (given !== undefined) {
    const found = candidates.find((c) => c.instanceGuid === given.trim().toLowerCase());
    if (!found) {
      throw new UsageError(
        `the deleted instance chosen (${given}) is not one of the candidates found: ${candidates.map((c) => c.instanceGuid).join(', ')}`,
        {
          hint: 'choose one of the GUIDs listed above (choose.deletedInstance in the answers file, or --deleted-instance), or search more logs (--logs, --es-url, --clusterdata), then resume',
        },
      );
    }
    const how = ctx.answers.choose.deletedInstance !== undefined ? 'choose.deletedInstance in the answers file' : '--deleted-instance';
    return { chosen: found, decidedBy: `the operator (${how})` };
  }
  if (settled.candidate) {
    ctx.evidence(`chosen by the evidence: ${settled.why}`);
    return { chosen: settled.candidate, decidedBy: 'the evidence' };
  }
  ctx.note(`the evidence does not settle which instance to restore: ${settled.why}`);
  if (!ctx.prompts.interactive) {
    throw new NeedsOperator(`the evidence does not settle which deleted instance to restore as "${wanted}": ${settled.why}`, {
      hint: `choose one of ${candidates.map((c) => c.instanceGuid).join(', ')}: add choose.deletedInstance: GUID to the answers file, or pass --deleted-instance GUID, then resume (--yes does not choose)`,
    });
  }
  const choice = await ctx.prompts.select({
    key: 'deletedInstance',
    message: `Which deleted instance is the user's "${wanted}"? (${settled.why})`,
    choices: candidates.map((c) => ({ value: c.instanceGuid, name: describeCandidate(c) })),
  });
  const found = candidates.find((c) => c.instanceGuid === choice);
  if (!found) throw new UsageError(`"${choice}" is not one of the candidates`, { hint: 'choose one of the GUIDs listed above' });
  return { chosen: found, decidedBy: 'the operator (at the prompt)' };
}

/** The first `most` log lines that prove a finding, each under why it counts (clipped to 240 characters). */
export function reportFindings(ctx: StepContext, evidence: readonly { why: string; source: string; line: string }[], most: number): void {
  for (const e of evidence.slice(0, most))
    ctx.evidence(`${e.why}\n  ${e.source}: ${e.line.length > 240 ? e.line.slice(0, 240) + '…' : e.line}`);
}

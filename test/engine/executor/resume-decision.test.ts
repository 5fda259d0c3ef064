/** The resume policy, row by row: (journal state, probe answer, evidence re-check) → what is done. */
import { describe, expect, it } from 'vitest';
import {
  afterProbe,
  afterRecheck,
  beforeStep,
  type ProbeAnswer,
  type ResumeTraits,
  type StepRecord,
} from '../../../src/engine/executor/index.js';

const read: ResumeTraits = { effect: 'read', probe: false, safeToRepeat: false, reassert: false };
const readProbed: ResumeTraits = { ...read, probe: true };
const target: ResumeTraits = { ...read, reassert: true };
const write: ResumeTraits = { effect: 'write', probe: true, safeToRepeat: false, reassert: false };
const repeatable: ResumeTraits = { effect: 'write', probe: false, safeToRepeat: true, reassert: false };
const destructive: ResumeTraits = { effect: 'destructive', probe: true, safeToRepeat: false, reassert: false };
const blind: ResumeTraits = { effect: 'destructive', probe: false, safeToRepeat: false, reassert: false };

describe('before a step runs, from what the journal says of it', () => {
  const rows: [string, StepRecord, ResumeTraits | undefined, string][] = [
    ['a finished step', { status: 'finished' }, destructive, 'reuse'],
    ['a finished step whose effect lives in ambient state', { status: 'finished' }, target, 'reuse+reassert'],
    ['a finished read step journaled without an output now read', { status: 'finished', stale: true }, read, 'run'],
    ['a finished writing step journaled without an output: never run twice', { status: 'finished', stale: true }, write, 'reuse'],
    ['a finished for-each', { status: 'finished' }, undefined, 'reuse'],
    ['a skipped step', { status: 'skipped' }, destructive, 'stay-skipped'],
    ['a step never started', { status: 'pending' }, destructive, 'run'],
    ['an interrupted read step without a probe', { status: 'started' }, read, 'run'],
    ['a failed read step without a probe', { status: 'failed' }, read, 'run'],
    ['an interrupted read step with a probe', { status: 'started' }, readProbed, 'probe'],
    ['an interrupted write', { status: 'started' }, write, 'probe'],
    ['a failed write', { status: 'failed' }, write, 'probe'],
    ['an interrupted write that is safe to repeat', { status: 'started' }, repeatable, 'probe'],
    ['an interrupted destructive step', { status: 'started' }, destructive, 'probe'],
    ['an interrupted destructive step without a probe', { status: 'started' }, blind, 'probe'],
    ['an interrupted for-each (its items decide for themselves)', { status: 'started' }, undefined, 'run'],
  ];
  it.each(rows)('%s', (_, record, traits, expected) => {
    const d = beforeStep(record, traits);
    expect(d.do === 'reuse' && d.reassert ? 'reuse+reassert' : d.do).toBe(expected);
  });
});

describe('after the probe of an earlier attempt', () => {
  const rows: [string, ProbeAnswer, ResumeTraits, string][] = [
    ['the platform shows it done', 'done', destructive, 'finish'],
    ['the platform shows it not done', 'not-done', destructive, 'run-again'],
    ['the probe cannot tell', 'unknown', destructive, 'stop'],
    ['no probe, but safe to repeat', 'none', repeatable, 'run-again'],
    ['no probe and not safe to repeat: never repeated blindly', 'none', blind, 'stop'],
  ];
  it.each(rows)('%s', (_, answer, traits, expected) => {
    expect(afterProbe(answer, traits).do).toBe(expected);
  });
});

describe('a step confirmed before the interruption', () => {
  it('goes on when the evidence it was confirmed on is unchanged', () => {
    expect(afterRecheck([])).toEqual({ do: 'go-on' });
  });
  it('stops, naming what changed, when it is not', () => {
    expect(afterRecheck(['container was abc, now def'])).toEqual({ do: 'stop', changed: ['container was abc, now def'] });
  });
});

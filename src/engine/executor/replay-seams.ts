/**
 * What a replay gives the executor in place of the world: a platform whose every seam and a prompter
 * whose every question refuse the call, naming it (the actions refuse theirs: replay-actions.ts).
 * Nothing a replayed run reaches can act, whatever the journal it replays holds.
 */
import type { CommandSpec, LocalProcesses, ObjectRef, Platform } from '../../core/seams.js';
import type { Prompter } from '../operator/prompts.js';

/** A call a replay refused: `call` names it (the seam and what was asked, or the step and the action's entry point). */
export class ReplayRefusal extends Error {
  constructor(readonly call: string) {
    super(`replay: ${call} refused (a replay acts on nothing)`);
    this.name = 'ReplayRefusal';
  }
}

/** Refuses `call`: a ReplayRefusal naming it. */
export function refuse(call: string): never {
  throw new ReplayRefusal(call);
}

const argvText = (spec: CommandSpec): string => spec.argv.join(' ');
const refText = (ref: ObjectRef): string => `s3://${ref.bucket}/${ref.key}`;

/** The platform of a replay: every call refused, naming the seam and what was asked of it. */
export function refusingPlatform(mode: Platform['mode']): Platform {
  const processes: LocalProcesses = {
    run: (argv) => refuse(`processes.run ${argv.join(' ')}`),
    runOk: (argv) => refuse(`processes.runOk ${argv.join(' ')}`),
    pipeThrough: (_source, stages) => refuse(`processes.pipeThrough ${stages.map((s) => s.argv.join(' ')).join(' | ')}`),
    scratchSandbox: () => refuse('processes.scratchSandbox'),
  };
  return {
    mode,
    cf: { where: 'replay', run: (spec) => refuse(`cf: ${argvText(spec)}`) },
    bosh: { where: 'replay', run: (spec) => refuse(`bosh: ${argvText(spec)}`) },
    cells: { open: (ip) => refuse(`ssh to cell ${ip}`) },
    s3: {
      where: 'replay',
      list: (bucket, prefix) => refuse(`s3.list s3://${bucket}/${prefix}`),
      head: (ref) => refuse(`s3.head ${refText(ref)}`),
      get: (ref) => refuse(`s3.get ${refText(ref)}`),
      getStream: (ref) => refuse(`s3.getStream ${refText(ref)}`),
      put: (ref) => refuse(`s3.put ${refText(ref)}`),
      copy: (from, to) => refuse(`s3.copy ${refText(from)} to ${refText(to)}`),
      deleteMany: (bucket, keys) => refuse(`s3.deleteMany s3://${bucket}/ (${keys.length} keys)`),
    },
    openLogs: (spec) => refuse(`logs ${JSON.stringify(spec)}`),
    processes,
    dockerEngine: (host) => refuse(`the Docker Engine at ${host}`),
    close: () => Promise.resolve(),
  };
}

/** The prompter of a replay: every question told to `asked` (its key: an input, or the step confirmed), then refused. */
export function refusingPrompter(asked: (key: string, kind: string) => void): Prompter {
  const ask = (kind: string, key: string): never => {
    asked(key, kind);
    return refuse(`the question (${kind}) ${key}`);
  };
  return {
    interactive: false,
    input: (q) => ask('input', q.key),
    typed: (q) => ask('typed confirmation', q.key),
    select: (q) => ask('choice', q.key),
  };
}

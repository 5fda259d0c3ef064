/**
 * What a Tab offers (`dingo-recover __complete WORD...`, called by the scripts `completion` prints):
 * subcommands, flags, a flag's choices, bundled scenarios after `--scenario`, bundled runbooks, and
 * the runs of the state folder where a run id goes. Read from the tree written at build time
 * (completion-tree.ts), so a Tab loads neither yargs nor the commands. Nothing printed means "a file
 * name": the scripts then complete paths as the shell does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletionNode } from './tree.js';
import { bundledScenarios } from '../bundled-scenarios.js';
import { bundledRunbooks } from '../package-files.js';
import { defaultStateDir } from '../flags/state-dir.js';
import { invocation } from '../../core/invocation.js';

/** Where the build writes the tree: next to the built cli.js. */
export const TREE_FILE = new URL('../../completion-tree.json', import.meta.url);

/** A Tab never fails: a list that cannot be read offers nothing. */
function listed(list: () => string[]): string[] {
  try {
    return list();
  } catch {
    return [];
  }
}

/** The runs of the state folder (run ids begin with their start time, so they sort in time). */
function runIds(stateDir: string): string[] {
  return readdirSync(join(stateDir, 'runs'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

/** What a positional takes, by its name. */
function positionalWords(p: { name: string; choices?: string[] }, stateDir: string): string[] {
  if (p.choices) return p.choices;
  if (p.name === 'run-id') return listed(() => runIds(stateDir));
  if (p.name === 'runbook') return listed(bundledRunbooks);
  return [];
}

/** What follows a flag that takes a value. */
function valueWords(flag: string, shape: { choices?: string[] }): string[] {
  if (shape.choices) return shape.choices;
  if (flag === 'scenario') return listed(bundledScenarios);
  if (flag === 'runbook') return listed(bundledRunbooks);
  return [];
}

const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** The candidates for the last of `words` (the words after the program's name; the last may be empty). */
export function completions(tree: CompletionNode, words: readonly string[], env: NodeJS.ProcessEnv = invocation().env): string[] {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  let at = tree;
  let positional = 0;
  let stateDir = defaultStateDir(env);
  let expectsValueOf: string | undefined;
  const flagsHere = (): Record<string, { value: boolean; choices?: string[] }> => ({ ...tree.flags, ...at.flags });
  for (const word of before) {
    if (expectsValueOf !== undefined) {
      if (expectsValueOf === 'state-dir') stateDir = word;
      expectsValueOf = undefined;
      continue;
    }
    if (word === '--') break;
    const flag = /^--?([^=]+)(=(.*))?$/.exec(word);
    if (flag) {
      const shape = flagsHere()[flag[1]!];
      if (flag[2] !== undefined) {
        if (flag[1] === 'state-dir') stateDir = flag[3]!;
      } else if (shape?.value) expectsValueOf = flag[1];
      continue;
    }
    const sub = at.commands[word];
    if (sub && positional === 0) at = sub;
    else positional += 1;
  }
  let offered: string[];
  if (expectsValueOf !== undefined) {
    offered = valueWords(expectsValueOf, flagsHere()[expectsValueOf] ?? {});
  } else if (current.startsWith('-')) {
    const eq = /^--([^=]+)=/.exec(current);
    if (eq) {
      return valueWords(eq[1]!, flagsHere()[eq[1]!] ?? {})
        .map((v) => `--${eq[1]}=${v}`)
        .filter((w) => w.startsWith(current));
    }
    offered = Object.keys(flagsHere())
      .filter((n) => n.length > 1)
      .map(dashed);
  } else {
    const subs = positional === 0 ? Object.keys(at.commands) : [];
    const p = at.positionals[positional];
    offered = [...subs, ...(p ? positionalWords(p, stateDir) : [])];
  }
  return [...new Set(offered)].filter((w) => w.startsWith(current)).sort();
}

/** `dingo-recover __complete WORD...`: one candidate a line; nothing when the tree is missing (never an error on a Tab). */
export function printCompletions(words: readonly string[], out: NodeJS.WritableStream = invocation().stdout): void {
  let tree: CompletionNode;
  try {
    tree = JSON.parse(readFileSync(TREE_FILE, 'utf8')) as CompletionNode;
  } catch {
    return;
  }
  const found = completions(tree, words);
  if (found.length) out.write(`${found.join('\n')}\n`);
}

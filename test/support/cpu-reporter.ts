/**
 * Prints, at the end of a pass, the files that cost the most CPU (./file-cpu.ts) and what all files
 * together cost: the suite's own measure of where a CPU-bound pass's time goes.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** How many files the table names. */
const SHOWN = 12;

export function cpuTable(modules: ReadonlyArray<Pick<TestModule, 'moduleId' | 'meta'>>, root: string): string {
  const measured = modules
    .map((m) => ({ file: relative(root, m.moduleId), cpu: m.meta().cpuSeconds }))
    .filter((m): m is { file: string; cpu: number } => typeof m.cpu === 'number');
  if (!measured.length) return '';
  const total = measured.reduce((sum, m) => sum + m.cpu, 0);
  const top = measured.sort((a, b) => b.cpu - a.cpu || a.file.localeCompare(b.file)).slice(0, SHOWN);
  const lines = top.map((m) => `${m.cpu.toFixed(1).padStart(7)} s  ${m.file}`);
  return [
    `CPU by test file (its worker's and the child processes it waited for): ${total.toFixed(0)} s in ${String(measured.length)} files; the most:`,
    ...lines,
    '',
  ].join('\n');
}

export default class CpuReporter implements Reporter {
  private root = process.cwd();

  onInit(ctx: { config: { root: string } }): void {
    this.root = ctx.config.root;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const table = cpuTable(modules, this.root);
    if (table) process.stdout.write(`\n${table}\n`);
  }
}

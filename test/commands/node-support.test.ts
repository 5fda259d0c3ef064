import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { nodeEndOfLifeLine } from '../../src/commands/node-support.js';

describe('the Node.js in use', () => {
  it('is named, with what to install, once it is past its end of life, and not before', () => {
    expect(nodeEndOfLifeLine('20.20.2', new Date('2026-04-30T23:00:00Z'))).toBeUndefined();
    expect(nodeEndOfLifeLine('20.20.2', new Date('2026-11-25T10:00:00Z'))).toBe(
      'dingo-recover: Node.js 20 reached its end of life on 2026-04-30 and gets no security fixes: install Node.js 22 or 24 (LTS)',
    );
    expect(nodeEndOfLifeLine('v22.13.0', new Date('2026-11-25T10:00:00Z'))).toBeUndefined();
    expect(nodeEndOfLifeLine('22.13.0', new Date('2027-05-01T00:00:00Z'))).toMatch(/Node.js 22 reached .*: install Node.js 24 \(LTS\)$/);
  });

  it("is one the dependencies support: package.json's engines admit no release yargs or @inquirer/prompts refuse", () => {
    const engines = (file: string) =>
      (JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines('../../package.json')).toBe('^20.19.0 || ^22.13.0 || >=23.5.0');
    expect(engines('../../node_modules/yargs/package.json')).toBe('^20.19.0 || ^22.12.0 || >=23');
    expect(engines('../../node_modules/@inquirer/prompts/package.json')).toBe('>=23.5.0 || ^22.13.0 || ^20.17.0');
  });
});

import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/index.js';

describe('the command table', () => {
  it('names and describes each command as its module does, so the top-level --help matches what runs', async () => {
    for (const entry of Object.values(COMMANDS)) {
      const loaded = await entry.load();
      expect({ command: loaded.command, describe: loaded.describe }).toEqual({ command: entry.command, describe: entry.describe });
    }
    expect(Object.keys(COMMANDS)).toHaveLength(18);
  });
});

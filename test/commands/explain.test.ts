import { describe, expect, it } from 'vitest';
import { describeConfirm } from '../../src/commands/explain.js';
import { confirmationMatches } from '../../src/engine/operator/index.js';

describe('describeConfirm', () => {
  it('names what a confirmation accepts without promising a shortcut only GUIDs have', () => {
    const volume = describeConfirm({ typed: '${steps.find-volumes.outputs.chosen}' });
    expect(volume).toBe('chosen from step find-volumes (the first 8 characters do when it is a GUID)');
    // What the engine accepts: the whole volume name; 8 characters only of a GUID.
    const name = 'a172cedc9f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8';
    expect(confirmationMatches(name.slice(0, 8), name)).toBe(false);
    expect(confirmationMatches(name, name)).toBe(true);
    const guid = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
    expect(confirmationMatches(guid.slice(0, 8), guid)).toBe(true);
  });

  it('names inputs and literal text as they are, and what else is accepted', () => {
    expect(describeConfirm({ typed: '${inputs.space}' })).toBe('the space input');
    expect(describeConfirm({ typed: 'yes', alsoAccept: '${inputs.serviceName}' })).toBe('"yes", or the serviceName input');
  });
});

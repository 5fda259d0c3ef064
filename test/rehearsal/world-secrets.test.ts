import { describe, expect, it } from 'vitest';
import { scenarioSecrets, seal, unseal } from '../../src/rehearsal/world-secrets.js';
import type { WorldState } from '../../src/rehearsal/world-state.js';

/** A world's initial state as far as scenarioSecrets reads it: any JSON. */
const worldOf = (value: unknown): WorldState => value as WorldState;

describe('the secrets of a saved world', () => {
  const initial = worldOf({
    cells: [
      {
        containers: [
          {
            env: [
              'POSTGRES_PASSWORD=pass-word-of-admin',
              'WALE_S3_SECRET=a.b*c+d?e(f)[g]{h}|i^j$k\\l',
              'AWS_ACCESS_KEY=quote"inside',
              'PLAIN=not-a-secret',
            ],
          },
        ],
      },
    ],
    roles: { app: 'word-of-admin' },
  });
  const secrets = scenarioSecrets(initial);

  it('are referenced in the file, the longest first, and come back as they were', () => {
    expect(secrets).toEqual(['a.b*c+d?e(f)[g]{h}|i^j$k\\l', 'pass-word-of-admin', 'word-of-admin', 'quote"inside']);
    const state = {
      env: ['POSTGRES_PASSWORD=pass-word-of-admin', 'x=a.b*c+d?e(f)[g]{h}|i^j$k\\l'],
      alone: 'word-of-admin',
      quoted: 'quote"inside',
      twice: 'word-of-admin and word-of-admin',
      plain: 'not-a-secret, abcde, a.bxc',
    };
    const json = JSON.stringify(state);
    const sealed = seal(json, secrets);
    for (const secret of secrets) expect(sealed).not.toContain(JSON.stringify(secret).slice(1, -1));
    // A secret inside a longer one is not cut out of it: the longer one is referenced whole.
    expect(sealed).toContain('POSTGRES_PASSWORD=\u00absecret:1\u00bb');
    expect(sealed).toContain('"twice":"\u00absecret:2\u00bb and \u00absecret:2\u00bb"');
    // Characters a pattern gives meaning to are matched as themselves: nothing else is replaced.
    expect(sealed).toContain('"plain":"not-a-secret, abcde, a.bxc"');
    expect(JSON.parse(unseal(sealed, secrets))).toEqual(state);
  });

  it('leaves a text without secrets, and a reference to no secret of the list, as they are', () => {
    expect(seal('{"a":"b"}', [])).toBe('{"a":"b"}');
    expect(seal('{"a":"b"}', secrets)).toBe('{"a":"b"}');
    // Only a reference as seal writes it is one: a number of the list, without a leading zero.
    const stray = '{"a":"\u00absecret:9\u00bb \u00absecret:01\u00bb \u00absecret:0\u00bb"}';
    expect(unseal(stray, secrets)).toBe(`{"a":"\u00absecret:9\u00bb \u00absecret:01\u00bb a.b*c+d?e(f)[g]{h}|i^j$k\\\\l"}`);
  });
});

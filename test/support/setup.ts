/**
 * Set up before every test file. Every test process (and every CLI it starts) runs as if started
 * from a shell, not by npm or npx: the CLI prints `npx dingo-recover` in its hints when npx started
 * it, and `npm test` or `npx vitest` must not decide what the tests see. And whatever a test file
 * started and did not stop (a setup that failed half-way) is stopped after it.
 */
import { afterAll } from 'vitest';
import { stopLeftovers } from './leftovers.js';

for (const name of Object.keys(process.env)) if (name.startsWith('npm_')) Reflect.deleteProperty(process.env, name);

afterAll(stopLeftovers);

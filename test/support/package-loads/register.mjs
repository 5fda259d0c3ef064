// Given to a child with `node --import`: every npm package the child resolves is appended, one a
// line, to the file DINGO_TEST_PACKAGE_LOG names (hooks.mjs, on Node's loader thread).
import { register } from 'node:module';

register(new URL('./hooks.mjs', import.meta.url), { data: { log: process.env.DINGO_TEST_PACKAGE_LOG } });

/**
 * `dingo-recover recover --ssh-via bosh`, live, through bosh v1, the Ruby CLI: `-d MANIFEST ssh JOB/INDEX`, its gateway flags, and a task poll of a second.
 * The recovery and its checks: test/support/live/bosh-era-recovery.ts.
 */
import { expect } from 'vitest';
import { boshEraRecovery } from '../../support/live/bosh-era-recovery.js';

boshEraRecovery('v1 (Ruby)', '1.3215.0', [
  '-n',
  '-d',
  expect.stringMatching(/manifest\.yml$/),
  'ssh',
  'cell_z1-partition-cac94a070a81fd8f3931/0',
]);

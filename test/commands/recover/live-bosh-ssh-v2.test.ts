/**
 * `dingo-recover recover --ssh-via bosh`, live, through bosh-cli v2 of today (Go), under the terminal it forces.
 * The recovery and its checks: test/support/live/bosh-era-recovery.ts.
 */
import { boshEraRecovery, V2_SSH_ARGS } from '../../support/live/bosh-era-recovery.js';
import { BOSH_VERSIONS } from '../../support/fake-cli/worlds.js';

boshEraRecovery('v2 (Go)', BOSH_VERSIONS.v2, V2_SSH_ARGS);

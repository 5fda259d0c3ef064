/**
 * `dingo-recover recover --ssh-via bosh`, live, through bosh-cli 2.0.1, whose tables (`bosh env` as name/value rows) pass the checks before the run.
 * The recovery and its checks: test/support/live/bosh-era-recovery.ts.
 */
import { boshEraRecovery, V2_SSH_ARGS } from '../../support/live/bosh-era-recovery.js';
import { BOSH_VERSIONS } from '../../support/fake-cli/worlds.js';

boshEraRecovery('v2 2.0.1 (array rows)', BOSH_VERSIONS.v2old, V2_SSH_ARGS);

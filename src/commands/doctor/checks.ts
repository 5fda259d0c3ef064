/**
 * What `doctor` checks, and what recover, recover-space and resume check before they ask anything or
 * make a run folder: the cf CLI and its login, the bosh CLI and its director, the way to the cells,
 * S3 (credentials, endpoint, buckets), the logs, and who answers the questions. Every check that
 * waits on the network keeps a deadline. A rehearsal's checks ask its simulated platform.
 */
import { accessSync, constants } from 'node:fs';
import { interactive } from '../../engine/operator/index.js';
import { failed, ok, type Check } from './check.js';
import { cfCli, cfLogin } from './check-cf.js';
import { bosh } from './check-bosh.js';
import { cells } from './check-cells.js';
import { s3Checks } from './check-s3.js';
import { logs } from './check-logs.js';
import type { DoctorSubject } from './subject.js';

export function doctorChecks(s: DoctorSubject): Check[] {
  return [cfCli(s), cfLogin(s), bosh(s), cells(s), ...s3Checks(s), logs(s), operator(s)];
}

/** Who answers the questions: a terminal, or a readable answers file. */
function operator(s: DoctorSubject): Check {
  const fix = 'run at a terminal, or give the answers: --answers FILE (and --yes to accept confirmations)';
  return {
    name: 'operator',
    fix,
    run: () => {
      if (s.answersFile) {
        try {
          accessSync(s.answersFile, constants.R_OK);
        } catch (err) {
          return Promise.resolve(failed(`the answers file cannot be read: ${(err as Error).message}`, `check --answers ${s.answersFile}`));
        }
      }
      if (interactive()) return Promise.resolve(ok('a terminal asks the questions'));
      return Promise.resolve(
        s.answersFile ? ok(`no terminal: the answers come from ${s.answersFile}`) : failed('no terminal to ask on, and no --answers', fix),
      );
    },
  };
}

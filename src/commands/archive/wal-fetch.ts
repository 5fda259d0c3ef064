/**
 * `dingo-recover wal-fetch SEGMENT DEST --from s3://BUCKET/PREFIX/`: a restore_command
 * for an operator's own restore of a wal-e archive (the drill fetches WAL itself and never
 * hands a server its credentials). Contract (PostgreSQL's): exit 0
 * with DEST in place, or non-zero meaning "not available". A missing file exits
 * 1 silently (PostgreSQL asks for files that do not exist as a matter of course);
 * other failures also exit 1 and say why on stderr; bad arguments exit 2.
 */
import type { Argv } from 'yargs';
import { exitCodeOf } from '../../core/errors.js';
import { s3FlagOptions, storeFromFlags, walePrefixOption } from '../flags/s3.js';
import { walFetch } from '../../drill/wal-fetch.js';
import { parseS3Url } from '../../core/s3-url.js';
import { EXAMPLE_ARCHIVES } from './examples.js';
import type { ArgsOf } from '../lazy-command.js';
import { printError } from '../print-error.js';
import { setExitCode } from '../exit-code.js';

function walFetchOptions(y: Argv) {
  return y
    .positional('segment', { type: 'string', demandOption: true, describe: 'WAL file name (%f)' })
    .positional('dest', { type: 'string', demandOption: true, describe: 'where to write it (%p)' })
    .option('from', walePrefixOption)
    .options(s3FlagOptions)
    .example(
      `$0 wal-fetch %f %p --from ${EXAMPLE_ARCHIVES.old}`,
      'as restore_command in postgresql.conf (recovery.conf before PostgreSQL 12)',
    );
}

/** The segment, where it goes and the archive it comes from, as the flags above declare them. */
export type WalFetchArgs = ArgsOf<typeof walFetchOptions>;

export const walFetchCommand = {
  command: 'wal-fetch <segment> <dest>',
  describe: 'Fetch one archived WAL file from a wal-e archive (a restore_command)',
  builder: walFetchOptions,
  handler: async (argv: WalFetchArgs) => {
    setExitCode(await runWalFetch(argv));
  },
};

export async function runWalFetch(argv: WalFetchArgs): Promise<number> {
  try {
    const { bucket, prefix } = parseS3Url(argv.from);
    const store = await storeFromFlags(argv);
    const { localProcesses } = await import('../../systems/local-processes.js');
    const result = await walFetch({ store, bucket, prefix, name: argv.segment, dest: argv.dest, processes: localProcesses });
    return result.status === 'fetched' ? 0 : 1;
  } catch (err) {
    printError('wal-fetch', err);
    return exitCodeOf(err) === 2 ? 2 : 1;
  }
}

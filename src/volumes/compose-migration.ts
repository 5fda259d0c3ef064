/**
 * The commands that move a service's data from the anonymous volume it has now into the named
 * volume `compose audit` tells to add, so the next `up` starts on today's data, not an empty one:
 * stop the service (never `down`: its container keeps the anonymous volume), note that volume's
 * name, change the compose file, create the container and its named volume without starting it,
 * copy with `cp -a` (owner, mode and times kept) in the service's own image (already on the host,
 * so nothing is pulled; no network), start it, and check. Every value from the compose file is
 * quoted for the shell; nothing here removes the anonymous volume.
 */
import { pasteCommand, pasteQuote } from '../core/shell-quote.js';

export interface MigrationInput {
  service: string;
  image: string;
  kind: string;
  /** Where the service keeps its data (the named volume's mount). */
  dataPath: string;
  /** Where the anonymous volume is mounted now. */
  anonymousAt: string;
  file: string;
}

/** `$(…)` naming the volume mounted at `path` in the service's container, as `docker inspect` shows it. */
function volumeAt(service: string, path: string): string {
  const format = `{{range .Mounts}}{{if eq .Destination ${JSON.stringify(path)}}}{{.Name}}{{end}}{{end}}`;
  return `"$(docker inspect --format ${pasteQuote(format)} "$(${pasteCommand(['docker', 'compose', 'ps', '-aq', service])})")"`;
}

/** The checks after `up`: PostgreSQL's are exact; other kinds are checked by their own client. */
function checks(m: MigrationInput): string[] {
  const exec = (...argv: string[]) => pasteCommand(['docker', 'compose', 'exec', m.service, ...argv]);
  if (m.kind !== 'PostgreSQL') return [`check the data is there with the ${m.kind} client: ${exec('ls', '-la', m.dataPath)}`];
  return [
    `${exec('cat', `${m.dataPath}/PG_VERSION`)}   # the cluster's major version: the data came over`,
    `${exec('pg_isready', '-U', 'postgres')}   # the server started on it`,
    `${exec('psql', '-U', 'postgres', '-d', 'postgres', '-c', 'select count(*) from YOUR_TABLE')}   # a table you know has rows, in its database`,
  ];
}

/** The numbered steps, each a line to read or a command to paste. */
export function migrationSteps(m: MigrationInput): string[] {
  const to = m.service;
  const image = pasteQuote(m.image);
  return [
    `1. ${pasteCommand(['docker', 'compose', 'stop', to])}   # stop, never down: the container keeps its anonymous volume`,
    `2. OLD=${volumeAt(to, m.anonymousAt)}; echo "$OLD"   # the anonymous volume with today's data: write its name down`,
    `3. add the lines above to ${pasteQuote(m.file)}`,
    `4. ${pasteCommand(['docker', 'compose', 'create', to])}   # the container and its named volume, not started`,
    `5. NEW=${volumeAt(to, m.dataPath)}; [ -n "$OLD" ] && [ -n "$NEW" ] && [ "$OLD" != "$NEW" ] && [ -z "$(docker run --rm --network none -v "$NEW":/to --entrypoint ls ${image} -A /to)" ] && docker run --rm --network none -v "$OLD":/from:ro -v "$NEW":/to --entrypoint cp ${image} -a /from/. /to/   # into the empty named volume, owner and mode kept`,
    `6. ${pasteCommand(['docker', 'compose', 'up', '-d', to])}`,
    ...checks(m).map((c, i) => `${7 + i}. ${c}`),
    `   Keep the old volume until the checks pass; it is still there: docker volume inspect "$OLD"`,
  ];
}

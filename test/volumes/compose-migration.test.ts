/**
 * The migration `compose audit` prints, run by a real bash: Docker Compose is not installed here,
 * so `docker` is a recorder on PATH that answers as the Engine would for one stopped service (its
 * container, its anonymous volume before `compose create`, the new named one after, an empty new
 * volume). What runs is the printed text itself, pasted as an operator would.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCompose, renderAudit } from '../../src/volumes/compose-audit.js';
import { tempDirs } from '../support/temp-dirs.js';

const tempDir = tempDirs('dingo-compose-migration-');

/** A `docker` that records each call's words and answers as the Engine would. */
const RECORDER = `#!/bin/sh
for w in "$@"; do printf '%s\\037' "$w"; done >> "$DOCKER_LOG"; printf '\\036' >> "$DOCKER_LOG"
case "$1 $2" in
  "compose ps") echo c0ffee ;;
  "compose create") touch "$DOCKER_STATE/created" ;;
esac
if [ "$1" = inspect ]; then
  if [ -e "$DOCKER_STATE/created" ]; then echo shop_db-data; else echo 3f2a9c1d0e; fi
fi
exit 0
`;

/** Runs the printed steps numbered `numbers` in one bash, in order; the docker calls, each as its words. */
function runSteps(steps: string[], numbers: number[], dir: string): string[][] {
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin, join(dir, 'state')]);
  writeFileSync(join(bin, 'docker'), RECORDER);
  chmodSync(join(bin, 'docker'), 0o755);
  const script = numbers.map((n) => steps.find((s) => s.startsWith(`${n}. `))!.slice(`${n}. `.length)).join('\n');
  const log = join(dir, 'docker.log');
  writeFileSync(log, '');
  execFileSync('bash', ['-e', '-c', script], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${bin}:/usr/bin:/bin`, DOCKER_LOG: log, DOCKER_STATE: join(dir, 'state') },
  });
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter(Boolean)
    .map((call) => call.split('\x1f').slice(0, -1));
}

const COMPOSE = (service: string) => `services:\n  ${JSON.stringify(service)}:\n    image: postgres:15\n`;

describe("compose audit's migration", () => {
  it('stops, notes the old volume, creates the named one, copies into it owner and mode kept, starts and checks', () => {
    const [finding] = auditCompose('compose.yaml', COMPOSE('db')).findings;
    const steps = finding!.migrate;
    expect(steps.map((s) => /^\d+\. \S+( \S+)?( \S+)?/.exec(s)?.[0])).toEqual([
      '1. docker compose stop',
      '2. OLD="$(docker inspect --format',
      '3. add the lines',
      '4. docker compose create',
      '5. NEW="$(docker inspect --format',
      '6. docker compose up',
      '7. docker compose exec',
      '8. docker compose exec',
      '9. docker compose exec',
      undefined,
    ]);
    expect(steps[6]).toContain('cat /var/lib/postgresql/data/PG_VERSION');
    expect(steps[7]).toContain('pg_isready -U postgres');
    expect(steps[8]).toContain("'select count(*) from YOUR_TABLE'");

    const calls = runSteps(steps, [1, 2, 4, 5, 6], tempDir());
    const inspectFormat = '{{range .Mounts}}{{if eq .Destination "/var/lib/postgresql/data"}}{{.Name}}{{end}}{{end}}';
    expect(calls).toEqual([
      ['compose', 'stop', 'db'],
      ['compose', 'ps', '-aq', 'db'],
      ['inspect', '--format', inspectFormat, 'c0ffee'],
      ['compose', 'create', 'db'],
      ['compose', 'ps', '-aq', 'db'],
      ['inspect', '--format', inspectFormat, 'c0ffee'],
      ['run', '--rm', '--network', 'none', '-v', 'shop_db-data:/to', '--entrypoint', 'ls', 'postgres:15', '-A', '/to'],
      [
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        '3f2a9c1d0e:/from:ro',
        '-v',
        'shop_db-data:/to',
        '--entrypoint',
        'cp',
        'postgres:15',
        '-a',
        '/from/.',
        '/to/',
      ],
      ['compose', 'up', '-d', 'db'],
    ]);
    const shown = renderAudit(auditCompose('compose.yaml', COMPOSE('db')));
    expect(shown).toContain("Then move today's data into it, or the next `up` starts on the empty named volume:");
    expect(steps.join('\n')).not.toMatch(/docker (compose (down|rm)|volume rm)/);
  });

  it('passes a service name written by anyone as one word, never as shell', () => {
    const hostile = 'db$(touch pwned);x';
    const dir = tempDir();
    const [finding] = auditCompose('compose.yaml', COMPOSE(hostile)).findings;
    const calls = runSteps(finding!.migrate, [1, 2], dir);
    expect(calls[0]).toEqual(['compose', 'stop', hostile]);
    expect(calls[1]).toEqual(['compose', 'ps', '-aq', hostile]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});

/**
 * The layers of src/, written down once. Each folder may import only the folders listed for it
 * (and itself); `npm run lint` fails on any other import, and on any import cycle.
 *
 *   commands/   the CLI face; wires live systems or the rehearsal      → anything
 *   actions/    what a runbook step can do (support/: what steps share) → engine, logs, archive, drill, volumes, merge, adapters, wale, core
 *   engine/     runbook model, executor, journal, prompts; no system   → core
 *   snapshot/   a live platform read into a rehearsal scenario          → logs, archive, rehearsal, systems, adapters, wale, core
 *   rehearsal/  the simulated platform behind the seams                → adapters, wale, core
 *   logs/       finding the deleted instance in the logs               → systems (the log sources), adapters, wale, core
 *   volumes/    lost PostgreSQL data in Docker volumes: find, copy, look → systems (docker, local processes), adapters (pg_dump's archives), core
 *   merge/      rows put back from a copy into the live database: diff, patch → systems (the Query type, quoting), core
 *   drill/      restore drills in a throwaway PostgreSQL               → archive, systems (local processes), wale, core
 *   archive/    wal-e archives in a store: inspect, list, swap         → wale, core
 *   systems/    one live implementation per outside system             → adapters, core
 *   adapters/   what cf, bosh, docker, psql, the shell and the logs say → core
 *   wale/       wal-e layout, WAL arithmetic, restorability: pure      → core
 *   core/       errors, redaction, seam interfaces, S3 locations       → nothing
 */
const layers = {
  commands: null,
  actions: ['engine', 'logs', 'archive', 'drill', 'volumes', 'merge', 'adapters', 'wale', 'core'],
  engine: ['core'],
  snapshot: ['logs', 'archive', 'rehearsal', 'systems', 'adapters', 'wale', 'core'],
  rehearsal: ['adapters', 'wale', 'core'],
  logs: ['systems', 'adapters', 'wale', 'core'],
  volumes: ['systems', 'adapters', 'core'],
  merge: ['systems', 'core'],
  drill: ['archive', 'systems', 'wale', 'core'],
  archive: ['wale', 'core'],
  systems: ['adapters', 'core'],
  adapters: ['core'],
  wale: ['core'],
  core: [],
};

const layerRules = Object.entries(layers)
  .filter(([, allowed]) => allowed !== null)
  .map(([layer, allowed]) => ({
    name: `${layer}-imports-only-${allowed.length ? allowed.join('-') : 'nothing'}`,
    severity: 'error',
    comment: `src/${layer}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') : 'node and npm modules'} (see .dependency-cruiser.cjs)`,
    from: { path: `^src/${layer}/` },
    to: { path: '^src/', pathNot: [`^src/${layer}/`, ...allowed.map((a) => `^src/${a}/`)] },
  }));

/** Folders of modules of one family, reached from outside only through their index.ts. */
const families = ['systems/ssh', 'systems/syslog', 'systems/elasticsearch', 'systems/s3', 'adapters/cf', 'rehearsal/cf'];

const familyRules = families.map((f) => ({
  name: `${f.replace('/', '-')}-through-its-index`,
  severity: 'error',
  comment: `outside src/${f}/, it is reached through its index.ts, never its modules`,
  from: { path: '^src/', pathNot: `^src/${f}/` },
  to: { path: `^src/${f}/`, pathNot: `^src/${f}/index\\.ts$`, dependencyTypesNot: ['dynamic-import'] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    ...familyRules,
    {
      name: 'actions-never-import-each-other',
      severity: 'error',
      comment: 'an action shares code through actions/support/ or a lower layer, never through another action',
      from: { path: '^src/actions/', pathNot: '^src/actions/index\\.ts$' },
      to: { path: '^src/actions/[^/]+$', pathNot: ['^src/actions/index\\.ts$'] },
    },
    {
      name: 'engine-folders-through-their-index',
      severity: 'error',
      comment:
        'outside engine/, a folder of the engine is reached through its index.ts, never its modules; a lazy load (await import) takes the one module it needs, so a command loads no more than it runs',
      from: { path: '^src/', pathNot: '^src/engine/' },
      to: { path: '^src/engine/[^/]+/', pathNot: '^src/engine/[^/]+/index\\.ts$', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'executor-knows-no-run',
      severity: 'error',
      comment: "the executor runs steps; a run's life around them (driver, session, run folders, lock) is engine/run/'s, which uses the executor",
      from: { path: '^src/engine/executor/' },
      to: { path: '^src/engine/run/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'modules that import each other in a loop',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-never-imports-tests-or-benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

// Lint: typescript-eslint's strict, type-aware rules over src, bench and test.
// Layering and import cycles are checked by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'fixtures/**',
      'test/support/fake-cli/**',
      'test/support/fake-docker/docker',
      'bin/**',
      '**/*.mjs',
      '**/*.cjs',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers and booleans in messages are fine; objects are not (they print as [object Object]).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the idiom; the checker still
      // refuses every other unchecked access.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A bare `void promise` marks a deliberate fire-and-forget.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
    },
  },
  {
    // The run's world is handed in, never reached for: the engine, the actions and the domain folders take
    // the redactor, the clock, the scratch folder, the programs they run, the scratch Docker Engine and the process's signals
    // and exit from the run's Runtime and Platform (core/runtime.ts), so two runs
    // in one process share no secret, a rehearsal or a test can fix the time, and nothing lands elsewhere.
    // Durations and deadlines are measured with performance.now(); the command line's redactor (core/invocation.ts) belongs to
    // src/cli.ts and src/commands/, and the command layer gives a command's clock and scratch folder (systemClock,
    // systemScratch).
    files: ['src/{engine,actions,archive,drill,logs,merge,snapshot,volumes,wale}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value=/core\\/invocation\\.js$/] > ImportSpecifier[imported.name='secrets']",
          message: "The command line's redactor is the command layer's: use the run's (ctx.runtime.redactor) or take a Redactor.",
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "Read the time from the run's clock (ctx.now(), runtime.clock.now()); measure durations with performance.now().",
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Read the time from the run's clock (ctx.now(), runtime.clock.now()), or take it as a parameter.",
        },
        {
          selector: "ImportDeclaration[source.value=/^(node:)?os$/] > ImportSpecifier[imported.name='tmpdir']",
          message: "Put scratch copies in the run's scratch folder (ctx.runtime.scratch), or take the folder as a parameter.",
        },
        {
          selector: "ImportDeclaration[source.value=/core\\/runtime\\.js$/] > ImportSpecifier[imported.name='systemScratch']",
          message: "Put scratch copies in the run's scratch folder (ctx.runtime.scratch), or take the folder as a parameter: the command layer chooses it.",
        },
        {
          selector: "ImportDeclaration[source.value=/core\\/runtime\\.js$/] > ImportSpecifier[imported.name='systemClock']",
          message: "Read the time from the run's clock (ctx.now(), runtime.clock.now()), or take it as a parameter: the command layer chooses it.",
        },
        {
          selector: "MemberExpression[property.name='tmpdir'][object.name=/^os$/]",
          message: "Put scratch copies in the run's scratch folder (ctx.runtime.scratch), or take the folder as a parameter.",
        },
        {
          selector:
            "ImportDeclaration[source.value=/systems\\/(processes|docker-engine)\\.js$/] > ImportSpecifier[imported.name=/^(localProcesses|dockerEngine)$/]",
          message:
            "Run programs and reach a Docker Engine through what the run was handed (ctx.platform.processes, ctx.platform.dockerEngine), or take them as parameters.",
        },
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name=/^(exit|once|on|off|addListener|removeListener)$/]",
          message: "Hear stop signals and end the process through the run's process control (runtime.process).",
        },
      ],
    },
  },
  {
    // A command line reads its environment and writes its output through the one running it (core/invocation.ts):
    // the process's own, or one run inside another program (cli.ts runInProcess). Only what is the process's
    // alone reads the process: its own signals and closed output (cli.ts), the failpoints that kill it, and the
    // container watchdog, a program of its own.
    files: ['src/**/*.ts'],
    ignores: ['src/core/invocation.ts', 'src/cli.ts', 'src/core/failpoints.ts', 'src/systems/container-watchdog.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['env', 'stdout', 'stderr', 'stdin'].map((property) => ({
          object: 'process',
          property,
          message: `Read the command line's ${property} through invocation() (core/invocation.ts): it may run inside another program.`,
        })),
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests assert on shapes they have just checked, and build fakes loosely.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);

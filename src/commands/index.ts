/**
 * Every command of the command line, each loaded when it runs. The names and descriptions here are
 * what the top-level `--help` shows; test/commands/index.test.ts checks they match the modules.
 */
import type { Argv } from 'yargs';
import type { GlobalArgs } from './flags/global.js';
import { lazyCommand } from './lazy-command.js';

export const COMMANDS = {
  recover: {
    command: 'recover',
    describe: "Recover a user's deleted service, live (asks, then confirms every destructive step)",
    load: async () => (await import('./recover.js')).recoverCommand,
  },
  recoverSpace: {
    command: 'recover-space',
    describe: 'Recover every Dingo database of a deleted space, live (one confirmed plan, then each instance)',
    load: async () => (await import('./recover-space.js')).recoverSpaceCommand,
  },
  resume: {
    command: 'resume [run-id]',
    describe: 'Continue a run where it stopped (crash, lost SSH, Ctrl-C, another operator)',
    load: async () => (await import('./resume.js')).resumeCommand,
  },
  doctor: {
    command: 'doctor',
    describe: 'Check cf, bosh, the cells, S3, the logs and the operator before a recovery (each ok, or what fixes it)',
    load: async () => (await import('./doctor/doctor.js')).doctorCommand,
  },
  abandon: {
    command: 'abandon <run-id>',
    describe: 'End a run on the record without finishing it, so a fresh recover can start',
    load: async () => (await import('./abandon.js')).abandonCommand,
  },
  rehearse: {
    command: 'rehearse',
    describe: 'Rehearse the whole recovery against a simulated platform (fixtures)',
    load: async () => (await import('./rehearse.js')).rehearseCommand,
  },
  snapshot: {
    command: 'snapshot',
    describe: 'Snapshot what a recovery would read of the live platform into a rehearsal scenario (reads only; secrets replaced)',
    load: async () => (await import('./snapshot.js')).snapshotCommand,
  },
  runs: {
    command: 'runs',
    describe: 'List runs in the state folder',
    load: async () => (await import('./runs.js')).runsCommand,
  },
  show: {
    command: 'show <run-id>',
    describe: 'The transcript of a run: steps, commands, exit codes, durations, confirmations',
    load: async () => (await import('./show.js')).showCommand,
  },
  validate: {
    command: 'validate <runbook>',
    describe: 'Check a runbook statically (actions, parameters, references) without running it',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  explain: {
    command: 'explain <runbook>',
    describe: 'Explain a runbook step by step: why, what it does, what it changes',
    load: async () => (await import('./explain.js')).explainCommand,
  },
  logs: {
    command: 'logs <command>',
    describe: "Search the platform logs: find a deleted instance, or an instance's containers and archive",
    load: async () => (await import('./logs/logs.js')).logsCommand,
  },
  archive: {
    command: 'archive <command>',
    describe: 'wal-e archive tools: inspect, swap, mistakes',
    load: async () => (await import('./archive/archive.js')).archiveCommand,
  },
  drill: {
    command: 'drill <url>',
    describe:
      'Restore a wal-e archive (or, with --all, every archive under a prefix) into a throwaway PostgreSQL and check what comes back',
    load: async () => (await import('./drill/drill.js')).drillCommand,
  },
  walFetch: {
    command: 'wal-fetch <segment> <dest>',
    describe: 'Fetch one archived WAL file from a wal-e archive (a restore_command)',
    load: async () => (await import('./archive/wal-fetch.js')).walFetchCommand,
  },
  volumes: {
    command: 'volumes <command>',
    describe: 'Find lost PostgreSQL data in Docker volumes, look inside a copy, dump it',
    load: async () => (await import('./volumes.js')).volumesCommand,
  },
  compose: {
    command: 'compose <command>',
    describe: 'Check a docker-compose file for data that a `docker compose down` would leave behind',
    load: async () => (await import('./compose-audit.js')).composeCommand,
  },
  completion: {
    command: 'completion [shell]',
    describe: 'Print the shell completion script (bash, zsh, fish): commands, flags, run ids, scenarios',
    load: async () => (await import('./completion/completion.js')).completionCommand,
  },
};

export function addCommands<T extends GlobalArgs>(y: Argv<T>): Argv<T> {
  return y
    .command(lazyCommand(COMMANDS.recover))
    .command(lazyCommand(COMMANDS.recoverSpace))
    .command(lazyCommand(COMMANDS.resume))
    .command(lazyCommand(COMMANDS.doctor))
    .command(lazyCommand(COMMANDS.abandon))
    .command(lazyCommand(COMMANDS.rehearse))
    .command(lazyCommand(COMMANDS.snapshot))
    .command(lazyCommand(COMMANDS.runs))
    .command(lazyCommand(COMMANDS.show))
    .command(lazyCommand(COMMANDS.validate))
    .command(lazyCommand(COMMANDS.explain))
    .command(lazyCommand(COMMANDS.logs))
    .command(lazyCommand(COMMANDS.archive))
    .command(lazyCommand(COMMANDS.drill))
    .command(lazyCommand(COMMANDS.walFetch))
    .command(lazyCommand(COMMANDS.volumes))
    .command(lazyCommand(COMMANDS.compose))
    .command(lazyCommand(COMMANDS.completion));
}

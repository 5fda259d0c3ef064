/**
 * Operating-system errors on a run's files and folders (journal, lock, state folder), said in words:
 * what could not be done to which path, why, and what the operator can do about it.
 */
import { commandLine } from '../../core/command-line.js';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { errnoCode, messageOf } from '../../core/errors.js';
import { processOperator } from '../../core/operator-identity.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOENT: 'it does not exist',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it exists and is not a folder',
};

/** Why an operation failed, in words: the reason for its error code, else its message. */
export function fsReason(err: unknown): string {
  return REASONS[errnoCode(err) ?? ''] ?? messageOf(err);
}

/** The deepest existing part of a path, and whether it is a folder. */
function deepestExisting(path: string): { path: string; folder: boolean } {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      return { path: p, folder: statSync(p).isDirectory() };
    } catch {
      // not there (or not reachable): look further up
    }
    if (dirname(p) === p) return { path: p, folder: true };
  }
}

/** What the operator can do about an error with this code on `path`. */
function fsHint(code: string, path: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM': {
      const at = deepestExisting(path).path;
      return `user ${processOperator().user} lacks permission on ${at} or its folder: run dingo-recover as the user who owns them (ls -ld ${dirname(at)} ${at}), or give another --state-dir`;
    }
    case 'EROFS':
      return 'give a --state-dir on a writable file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return `free space on the file system that holds ${path} (df -h ${dirname(path)}), then try again`;
    case 'ENOTDIR':
    case 'EEXIST': {
      const inTheWay = deepestExisting(path);
      return `${inTheWay.folder ? path : inTheWay.path} is a file where a folder belongs: give --state-dir a folder (it is created when missing), or move that file away`;
    }
    case 'EISDIR':
      return `${path} is a folder where a file belongs: move it away (it is not something dingo-recover wrote), then try again`;
    case 'ENOENT':
      return `check --state-dir and that ${dirname(path)} was not moved or deleted (list runs with \`${commandLine(['runs'])}\`)`;
    default:
      return `check ${path} and its folder (ls -la ${dirname(path)})`;
  }
}

/** An operating-system error on a run's file or folder as a UsageError that names the path and says what to do. */
export function fsUsageError(err: unknown, doing: string, path: string): UsageError {
  return new UsageError(`cannot ${doing} ${path}: ${fsReason(err)}`, { hint: fsHint(errnoCode(err) ?? '', path), cause: err });
}

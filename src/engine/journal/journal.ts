/**
 * The journal is the truth about a run: an append-only NDJSON file, one event per
 * line, fsynced as it is written (a rehearsal's is only written: it records a simulated
 * platform, and the page cache already survives a killed process), every text redacted first. The run's state is
 * derived by replaying it (see replay.ts).
 */
import { commandLine } from '../../core/command-line.js';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StepFailed, UsageError } from '../../core/errors.js';
import { operatorText } from '../../core/operator-identity.js';
import type { Runtime } from '../../core/runtime.js';
import { failpoint } from '../../core/failpoints.js';
import { fsReason, fsUsageError } from './fs-errors.js';
import { JOURNAL_VERSION, parseEvent, type EventBody, type JournalEvent } from './journal-events.js';
import { applyEvent, replay, type RunState } from './replay.js';
import { readyForAppend, writeAll, type Repair } from './journal-tail.js';

/** What a journal takes of the run's runtime. */
export type JournalRuntime = Pick<Runtime, 'clock' | 'redactor' | 'operator'>;

export class Journal {
  private fd: number | null = null;
  private seq: number;
  private readonly all: JournalEvent[];
  /** The run's state, and how many of `all` it has taken in. */
  private current?: RunState;
  private applied = 0;
  /** The file's length in bytes up to its last whole event, once open. */
  private size = 0;
  /** Where a failed write began, until its bytes are cut off: nothing is appended after them. */
  private tornAt: number | null = null;

  constructor(
    readonly file: string,
    /** Where each event's time (`at`) and writer (`by`, user@host) come from, and the redaction of its text. */
    private readonly runtime: JournalRuntime,
    existing: JournalEvent[] = [],
    /** fsync each event: false only for rehearsals, whose journals need survive a killed process, not a power cut. */
    private readonly durable = true,
  ) {
    this.all = [...existing];
    this.seq = existing.length ? existing[existing.length - 1]!.seq : 0;
  }

  /** Every event of the run so far, as written (redacted). */
  events(): JournalEvent[] {
    return this.all;
  }

  /**
   * The run's state after every event so far, kept as events are appended rather than replayed
   * from the start at each look. A step's state read earlier keeps what it was (see replay.ts).
   */
  state(): RunState {
    if (!this.current) {
      this.current = replay(this.all);
      this.applied = this.all.length;
    }
    for (; this.applied < this.all.length; this.applied++) applyEvent(this.current, this.all[this.applied]!);
    return this.current;
  }

  /**
   * Opens the file for appending, repairing a torn last line first (journaled as `journal.repaired`).
   * Appending opens it too; call this to repair before anything else happens.
   */
  open(): Repair | null {
    if (this.fd !== null) return null;
    let fd: number;
    try {
      fd = openSync(this.file, 'a+', 0o600);
    } catch (err) {
      throw fsUsageError(err, 'open the journal', this.file);
    }
    let repair: Repair | null;
    try {
      repair = readyForAppend(this.file, fd, () => this.runtime.clock.now());
      this.size = fstatSync(fd).size;
    } catch (err) {
      closeSync(fd);
      throw fsUsageError(err, 'repair the torn last line of the journal', this.file);
    }
    this.fd = fd;
    this.tornAt = null; // any bytes of an earlier failed write were just repaired
    if (repair) this.append({ type: 'journal.repaired', ...repair });
    return repair;
  }

  append(body: EventBody): JournalEvent {
    this.open();
    const fd = this.fd!;
    if (this.tornAt !== null) {
      try {
        this.cutBack(fd);
      } catch (err) {
        throw this.writeFailed(err);
      }
    }
    const event = {
      v: JOURNAL_VERSION,
      seq: this.seq + 1,
      at: this.runtime.clock.now().toISOString(),
      by: operatorText(this.runtime.operator),
      pid: process.pid,
      ...body,
    };
    const json = this.runtime.redactor.redact(JSON.stringify(event));
    const line = Buffer.from(json + '\n');
    try {
      writeAll(fd, line);
      if (this.durable) fsyncSync(fd);
    } catch (err) {
      this.tornAt = this.size;
      try {
        this.cutBack(fd);
      } catch {
        // cut back before the next append, or repaired when the run is resumed
      }
      throw this.writeFailed(err);
    }
    this.size += line.length;
    this.seq++;
    // What is kept in memory is what was written: the redacted event, read back.
    const written = parseEvent(json);
    if (written === null) throw new StepFailed(`journal event ${this.seq} of ${this.file} does not read back as an event`);
    this.all.push(written);
    failpoint(`journal:${this.seq}`);
    return written;
  }

  private writeFailed(err: unknown): StepFailed {
    return new StepFailed(`could not write the journal ${this.file}: ${fsReason(err)}`, {
      hint: `free space on the file system that holds it (df -h ${dirname(this.file)}) or fix what the error names, then resume; the journal is whole up to its last event`,
      cause: err,
    });
  }

  /** Cuts off the bytes of a failed write, so the next event starts on a line of its own. */
  private cutBack(fd: number): void {
    ftruncateSync(fd, this.tornAt!);
    fsyncSync(fd);
    this.tornAt = null;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Opens a run's journal to append to it (resume, abandon): reads its events, refusing damage before the
 * last line, then repairs a torn last line (see Journal.open), which the journal records as `journal.repaired`.
 */
export function openJournalForAppend(file: string, runtime: JournalRuntime, durable = true): Journal {
  const journal = new Journal(file, runtime, readJournal(file), durable);
  journal.open();
  return journal;
}

/**
 * Reads a journal without changing it. A torn last line (the process died mid-write) is ignored; any
 * other damage is an error naming FILE:LINE.
 */
export function readJournal(file: string): JournalEvent[] {
  if (!existsSync(file)) throw new UsageError(`no journal at ${file}`, { hint: `list runs with \`${commandLine(['runs'])}\`` });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fsUsageError(err, 'read the journal', file);
  }
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const event = parseEvent(line);
    if (event === null) {
      if (i === lines.length - 1) break; // torn write at the end (no newline follows it): the event never happened
      throw new UsageError(`${file}:${i + 1}: damaged journal line`, {
        hint: 'the journal is append-only; restore it from a copy or inspect it by hand, never edit earlier lines',
      });
    }
    if (event.v > JOURNAL_VERSION) {
      throw new UsageError(
        `${file}:${i + 1}: journal version ${event.v} is newer than this dingo-recover understands (${JOURNAL_VERSION})`,
        {
          hint: 'upgrade dingo-recover to resume or show this run',
        },
      );
    }
    events.push(event);
  }
  return events;
}

/**
 * RFC 6587 octet counting: what a TCP syslog relay receives, and writes to a file as it came, is
 * frames `LEN SP SYSLOG-MSG`, LEN the message's length in bytes. Nothing separates two frames, so
 * several may share a physical line, and a message may hold newlines and span lines.
 */

/** A frame's LEN has at most this many digits (a message over 1 MiB is not read anyway). */
const MAX_DIGITS = 9;

/**
 * The frame whose header stands at `at` in `data` (read up to `end`): where its message starts and
 * its length in bytes; null when no whole header (`NONZERO-DIGIT *DIGIT SP <`) stands there.
 */
export function frameAt(data: Uint8Array, at: number, end: number): { start: number; length: number } | null {
  const first = data[at];
  if (at >= end || first === undefined || first < 49 || first > 57) return null;
  let length = 0;
  let p = at;
  for (; p < end && data[p]! >= 48 && data[p]! <= 57; p++) {
    if (p - at >= MAX_DIGITS) return null;
    length = length * 10 + data[p]! - 48;
  }
  return p + 1 < end && data[p] === 32 && data[p + 1] === 60 ? { start: p + 1, length } : null;
}

/** Whether a line of `head` (the first bytes of a file) begins with a frame header. */
export function holdsFrames(head: Uint8Array): boolean {
  for (let at = 0; at < head.length;) {
    if (frameAt(head, at, head.length)) return true;
    const nl = head.indexOf(10, at);
    if (nl < 0) return false;
    at = nl + 1;
  }
  return false;
}

/** A line without the header of the frame it begins with, if any (`123 <14>1 ...` is read as `<14>1 ...`). */
export function withoutFrameHeader(line: string): string {
  const m = /^[1-9]\d{0,8} (?=<)/.exec(line);
  return m ? line.slice(m[0].length) : line;
}

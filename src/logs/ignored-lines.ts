/**
 * The lines a source wrote that it does not write (a tenant's database can log any text), never
 * evidence: counted per the shape they claim and the writer that wrote them, for the report's warnings.
 */
import type { LogEvent } from '../adapters/log-events.js';
import type { Writer } from './evidence-rules.js';
import { CUT_TAG_ADVICE, CUT_TAG_CAUSE } from '../adapters/syslog.js';

/** The shape a line claims, for the warning. */
const SHAPE_OF: Record<LogEvent['kind'], string> = {
  broker: 'broker-shaped',
  haproxy: 'confd-shaped',
  'container-creating': 'cf-containers-broker-shaped',
  'container-options': 'cf-containers-broker-shaped',
  wale: 'wal-e-shaped',
  'public-address': 'public-address-shaped',
  'etcd-lookup': 'etcd-lookup-shaped',
  container: 'container-prefixed',
};

/**
 * Why lines were not evidence: their writer never writes that shape (`source`), its tag was cut so its
 * container cannot be told (`cut`), or a container wrote lines about an instance that nothing searched
 * ties its node to (`unproven`).
 */
const WHY = {
  source: "that source does not write such lines (a tenant's database can log any text)",
  cut: `the tag was cut to 32 characters (${CUT_TAG_CAUSE}), so the container that wrote them cannot be told: ${CUT_TAG_ADVICE}`,
  unproven:
    "nothing in the logs searched ties that container's node to the instance they name (a broker or cf-containers-broker record of the node, or its scope prefix), and a tenant's database can log any text: add the broker's logs of the node's creation",
} as const;

/** Counts lines that broke a rule, per shape, writer and reason, for the report's warnings. */
export class Ignored {
  private readonly counts = new Map<string, number>();

  /** `lines`: how many lines the one judged stands for (a folded run of wal-e's, core's FileHit.stands). */
  add(e: LogEvent, w: Writer, lines = 1, why: keyof typeof WHY = 'source'): void {
    const key = `${SHAPE_OF[e.kind]}\u0000${w.name}\u0000${why}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + lines);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  warnings(): string[] {
    return [...this.counts].map(([key, n]) => {
      const [shape, name, why] = key.split('\u0000') as [string, string, keyof typeof WHY];
      return `${n} ${shape} line(s) written by ${name} ignored: ${WHY[why]}`;
    });
  }
}

/**
 * `logs find` through Elasticsearch beside `--logs` on the same lines: generated syslog
 * (LOGS_ES_BENCH_MIB MiB, 64 unless told: the simulated Elasticsearch holds its documents in
 * memory) indexed as logsearch-boshrelease indexes it (the line in `@raw`, its text in `@message`,
 * the syslog fields; test/support/logsearch-documents.ts) in the
 * test double on loopback, which analyses text as Elasticsearch does, searched by the real
 * finder in a child process; then the same lines as files. Each side ROUNDS times, alternating;
 * medians. Documents/second is the index's documents over the search's wall time.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateLogs, type GeneratedLogs } from '../test/support/generate-logs.js';
import { startEsHttp, type EsDocument } from '../test/support/es-http.js';
import { flavour } from '../test/support/es-http-versions.js';
import { boshreleaseDocument } from '../test/support/logsearch-documents.js';

const BYTES = (Number(process.env.LOGS_ES_BENCH_MIB) || 64) * 2 ** 20;
const ROUNDS = 3;
const INDEX = 'logstash-2017.01.05';

/** What one run of the finder in the child says about itself. */
export interface FinderRun {
  seconds: number;
  cpuSeconds: number;
  maxRssKb: number;
  bytes: number;
  first: string | null;
}

async function documentsOf(logs: GeneratedLogs): Promise<EsDocument[]> {
  const docs: EsDocument[] = [];
  for (const f of logs.files) {
    const raw = await readFile(f);
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n'))
      if (line !== '') docs.push({ _source: boshreleaseDocument(line, new Date('2017-01-05T00:00:00Z')) });
  }
  return docs;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs the comparison; `finder(paths, esUrl)` runs the finder once in a child process over the
 * files, or over Elasticsearch when esUrl is given. Returns the lines to print, the last the summary.
 */
export async function benchLogsEs(
  finder: (paths: string[], esUrl?: string) => Promise<FinderRun>,
  expected: (logs: GeneratedLogs) => string | null,
): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'logs-es-bench-'));
  try {
    const logs = await generateLogs({ dir, seed: 13, days: 14, files: 4, gzipFrom: Infinity, targetBytes: BYTES });
    const docs = await documentsOf(logs);
    const es = await startEsHttp({ index: INDEX, documents: () => docs, flavour: flavour('7.17') });
    try {
      const esRuns: FinderRun[] = [];
      const fileRuns: FinderRun[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        esRuns.push(await finder([], es.url));
        fileRuns.push(await finder(logs.files));
      }
      const fetched = es.requests.reduce((n, r) => n + (r.hits ?? 0), 0) / ROUNDS;
      const esWall = median(esRuns.map((r) => r.seconds));
      const fileWall = median(fileRuns.map((r) => r.seconds));
      const want = expected(logs);
      const right = (r: FinderRun): string => (r.first === want ? 'right' : `WRONG: ${r.first ?? 'none'}, expected ${want ?? 'none'}`);
      return [
        `elasticsearch: ${docs.length} documents (${(logs.bytes / 2 ** 20).toFixed(0)} MiB of lines) in the simulated 7.17 on loopback, standard analyzer; medians of ${ROUNDS}`,
        `  --es-url ${(docs.length / esWall).toFixed(0)} documents/s (${esWall.toFixed(2)} s wall, ${median(esRuns.map((r) => r.cpuSeconds)).toFixed(2)} s CPU in the finder; ${fetched.toFixed(0)} documents fetched), first candidate ${right(esRuns[0]!)}`,
        `  --logs   ${(docs.length / fileWall).toFixed(0)} documents/s (${fileWall.toFixed(2)} s wall, ${median(fileRuns.map((r) => r.cpuSeconds)).toFixed(2)} s CPU), first candidate ${right(fileRuns[0]!)}`,
        `logs-es-bench es_docs_per_s=${(docs.length / esWall).toFixed(0)} es_wall_s=${esWall.toFixed(2)} logs_docs_per_s=${(docs.length / fileWall).toFixed(0)} logs_wall_s=${fileWall.toFixed(2)}`,
      ];
    } finally {
      await es.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The child process of the logs benchmark: runs the real finder over the given files and
 * prints, as one JSON line, the bytes it read, the seconds its search took, the CPU seconds
 * (user + system) it spent on it, its peak RSS and the threads a large plain file is scanned on. With BENCH_ES_URL it searches that
 * Elasticsearch (its default index patterns) instead of the files.
 * Usage: node --import tsx bench/logs-scan.ts SERVICE_NAME PATH...
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redactor } from '../src/core/redact.js';
import { findDeletedInstance } from '../src/logs/find.js';
import { openLogSource } from '../src/systems/log-source.js';
import { peakRssKb } from './peak-rss.js';

const [serviceName, ...paths] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const esUrl = process.env.BENCH_ES_URL;
const redactor = new Redactor();
const result = await findDeletedInstance({
  sources: openLogSource(esUrl ? { es: { url: esUrl, redactor } } : { paths }),
  serviceName: serviceName!,
  redactor,
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({
    bytes: result.searched.bytes,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssKb: peakRssKb(),
    threads: availableParallelism(),
    first: result.candidates[0]?.instanceGuid ?? null,
    candidates: result.candidates.length,
  }) + '\n',
);

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BENCH = fileURLToPath(new URL('./bench/ingest.mjs', import.meta.url));

/**
 * `npm run bench:ingest` at a few thousand signals: the bench is code the figures in
 * `docs/benchmarks.md` rest on, so it must keep working (every phase ends, counts what it stored and
 * finds nothing lost), not only when someone runs it for an hour. It runs the built hub, like the bench.
 */
describe('the ingest bench, small', () => {
  it('runs every phase to its end and counts every signal, once', async () => {
    const { stdout } = await run(process.execPath, [BENCH], {
      env: {
        ...process.env,
        BENCH_DRAIN_EVENTS: '2000',
        BENCH_EVENTS: '2000',
        BENCH_SUSTAINED_RATE: '2000',
        BENCH_SUBSCRIBERS: '20',
        BENCH_RATE: '200',
        BENCH_SECONDS: '2',
        BENCH_WARMUP_SECONDS: '0',
      },
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const rows = new Map(
      stdout
        .split('\n')
        .filter((line) => line.startsWith('| '))
        .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| | \|$/g, '').trim()))
        .map(([measure, result]) => [measure!, result!]),
    );
    expect(rows.get('drain: loss / duplicates')).toBe('0 lost, 0 duplicated (of 2,000)');
    expect(rows.get('sustained: loss / duplicates')).toBe('0 lost, 0 duplicated (of 2,000)');
    expect(rows.get('latency: deliveries lost / out of order')).toBe('0 / 0');
    // Each phase waited for its last signal: the rates count all of them.
    expect(rows.get('hub drain rate (pre-loaded stream)')).toMatch(/^[\d,]+ events\/s \([\d,]+ in [\d.]+ s\)$/);
    expect(rows.get('end to end, sustained (publish → stored, 2,000/s offered)')).toMatch(
      /^[\d,]+ events\/s \(2,000 in [\d.]+ s; (the last stored [\d.]+ s after|all stored when) the publishers ended\)$/,
    );
    // 400 signals over 100 machines, 20 of them watched by one subscriber each.
    expect(rows.get('publish → subscriber latency')).toMatch(/ over 80 deliveries to 20 subscribers$/);
  }, 180_000);
});

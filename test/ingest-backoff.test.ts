import { describe, expect, it } from 'vitest';
import { IngestBackoff } from '@plantgraph/hub';

const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function recorder() {
  const lines: string[] = [];
  return { lines, log: { error: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) } };
}

describe('ingest back-off', () => {
  it('doubles the pause up to the cap, with jitter between half and all of it', () => {
    const { log } = recorder();
    const longest = new IngestBackoff(log, { firstPauseMs: 250, maxPauseMs: 15_000, random: () => 0.999_999 });
    const shortest = new IngestBackoff(log, { firstPauseMs: 250, maxPauseMs: 15_000, random: () => 0 });
    const upper = Array.from({ length: 9 }, () => longest.failed(outage));
    const lower = Array.from({ length: 9 }, () => shortest.failed(outage));
    expect(upper).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect(lower).toEqual([125, 250, 500, 1000, 2000, 4000, 7500, 7500, 7500]);
  });

  it('logs once when the ingest pauses and once when it resumes, then starts over', () => {
    const { lines, log } = recorder();
    const backoff = new IngestBackoff(log, { random: () => 0.5 });
    backoff.succeeded();
    expect(lines).toEqual([]);
    for (let i = 0; i < 50; i++) backoff.failed(outage);
    backoff.succeeded();
    backoff.succeeded();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[ingest\] database unreachable \(connect ECONNREFUSED.*\); ingest paused, retrying/);
    expect(lines[1]).toMatch(/^\[ingest\] ingest resumed after \d+\.\d s \(50 failed attempts\)$/);
    // The next outage starts again from the first pause.
    expect(backoff.failed(new Error('relation "production_count" does not exist'))).toBeLessThanOrEqual(250);
    expect(lines[2]).toMatch(/^\[ingest\] storing signals failed \(relation/);
  });
});

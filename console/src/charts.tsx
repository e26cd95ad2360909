// Hand-written SVG charts (ADR 0044): three small shapes cost less than any charting library's bundle.
import type { ComponentChildren } from 'preact';

export type Bar = { label: string; value: number; colour?: string; title?: string };

/** Vertical bars with value labels; `max` fixes the scale (1 for ratios). */
export function BarChart({
  bars,
  max,
  format,
  label,
}: {
  bars: Bar[];
  max?: number;
  format: (v: number) => string;
  label: string;
}) {
  const width = Math.max(320, bars.length * 56);
  const height = 180;
  const top = max ?? Math.max(1e-9, ...bars.map((b) => b.value));
  const slot = width / Math.max(1, bars.length);
  return (
    <svg viewBox={`0 0 ${width} ${height + 40}`} role="img" aria-label={label} class="chart">
      {bars.map((b, i) => {
        const h = (Math.max(0, b.value) / top) * height;
        return (
          <g key={b.label}>
            <title>{b.title ?? `${b.label}: ${format(b.value)}`}</title>
            <rect
              x={i * slot + slot * 0.15}
              y={height - h}
              width={slot * 0.7}
              height={h}
              fill={b.colour ?? '#2f6fb3'}
            />
            <text x={i * slot + slot / 2} y={height - h - 4} text-anchor="middle" class="value">
              {format(b.value)}
            </text>
            <text x={i * slot + slot / 2} y={height + 16} text-anchor="middle" class="label">
              {b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label}
            </text>
          </g>
        );
      })}
      <line x1={0} x2={width} y1={height} y2={height} stroke="#555" />
    </svg>
  );
}

export type Step = { label: string; value: number; kind: 'total' | 'loss' };

/** A waterfall: totals as full bars from zero, losses hanging from the running total. */
export function Waterfall({ steps, format, label }: { steps: Step[]; format: (v: number) => string; label: string }) {
  const width = 640;
  const rowHeight = 30;
  const top = Math.max(1e-9, ...steps.map((s) => s.value));
  let running = 0;
  const rows: ComponentChildren[] = steps.map((s, i) => {
    const start = s.kind === 'total' ? 0 : running - s.value;
    if (s.kind === 'total') running = s.value;
    else running -= s.value;
    const x = 200 + (Math.max(0, start) / top) * (width - 300);
    const w = (Math.max(0, s.value) / top) * (width - 300);
    return (
      <g key={s.label}>
        <text x={0} y={i * rowHeight + 20} class="label">
          {s.label}
        </text>
        <rect
          x={x}
          y={i * rowHeight + 6}
          width={w}
          height={rowHeight - 10}
          fill={s.kind === 'total' ? '#2f6fb3' : '#c0392b'}
        />
        <text x={x + w + 6} y={i * rowHeight + 20} class="value">
          {s.kind === 'loss' && s.value > 0 ? '−' : ''}
          {format(s.value)}
        </text>
      </g>
    );
  });
  return (
    <svg viewBox={`0 0 ${width} ${steps.length * rowHeight + 6}`} role="img" aria-label={label} class="chart">
      {rows}
    </svg>
  );
}

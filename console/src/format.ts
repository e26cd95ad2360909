import { useEffect, useState } from 'preact/hooks';

/** The time now, once a second: the boards' "time in state" counts up without events. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** 75 s → "1 min 15 s", 2 h 5 min → "2 h 5 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A ratio as the boards show it: 0.8234 → "82.3 %"; null (no data) → "–". */
export function percent(value: number | null | undefined): string {
  return value == null ? '–' : `${(value * 100).toFixed(1)} %`;
}

export function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`;
}

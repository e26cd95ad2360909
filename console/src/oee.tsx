// The OEE board: a scope and a window (current shift, day, week), OEE with its factors, the ISO 22400
// time elements as a loss waterfall, the downtime Pareto, MTBF/MTTR, drill-down to lines and machines.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { gql, onReconnect, subscribe } from './api.js';
import { BarChart, Waterfall } from './charts.js';
import { hours, percent } from './format.js';
import type { OeeBoardQuery, OeeLiveSubscription, ShiftCalendarsQuery } from './generated/operations.js';

type OeeRow = {
  group: string;
  oee: number | null;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  plannedBusyTime: number;
  actualProductionTime: number;
  actualUnitDownTime: number;
  actualUnitDelayTime: number;
  goodQuantity: number;
  producedQuantity: number;
  mtbf: number | null;
  mttr: number | null;
};
type Calendar = { scope: string; timeZone: string; shifts: { name: string; start: string; end: string }[] };

const BOARD = /* GraphQL */ `query OeeBoard($scope: String!, $from: DateTimeISO!, $to: DateTimeISO!,
  $total: OeeGrouping!, $drill: OeeGrouping!, $over: OeeGrouping!) {
  total: oee(scope: $scope, from: $from, to: $to, groupBy: $total) { ...OeeFigures }
  drill: oee(scope: $scope, from: $from, to: $to, groupBy: $drill) { ...OeeFigures }
  over: oee(scope: $scope, from: $from, to: $to, groupBy: $over) { group oee }
  downtimePareto(scope: $scope, from: $from, to: $to) { reason seconds occurrences }
}
fragment OeeFigures on OeeRow {
  group oee availability performance quality plannedBusyTime actualProductionTime actualUnitDownTime
  actualUnitDelayTime goodQuantity producedQuantity mtbf mttr
}`;
/** Path depth → the grouping that gives the scope as one row, and the one a level down. */
const TOTAL = ['Site', 'Site', 'Area', 'ProductionLine', 'Equipment'];
const DRILL = ['Site', 'ProductionLine', 'ProductionLine', 'Equipment', 'Equipment'];

/** Minutes since midnight of `date` in `timeZone`. */
function minutesIn(date: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return Number(parts.hour) * 60 + Number(parts.minute);
}

/** The window's start: the current shift's start by the scope's calendar (else 8 h back), today, or 7 days. */
export function windowStart(window: string, now: Date, calendar: Calendar | undefined): Date {
  if (window === 'week') return new Date(now.getTime() - 7 * 86_400_000);
  if (window === 'day') return new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (!calendar) return new Date(now.getTime() - 8 * 3_600_000);
  const minute = minutesIn(now, calendar.timeZone);
  const clock = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  for (const shift of calendar.shifts) {
    const start = clock(shift.start);
    const end = clock(shift.end);
    const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
    if (inside) {
      const since = (minute - start + 1440) % 1440;
      const at = new Date(now.getTime() - since * 60_000);
      at.setSeconds(0, 0);
      return at;
    }
  }
  return new Date(now.getTime() - 8 * 3_600_000);
}

export function OeeBoard({
  scope,
  window,
  set,
}: {
  scope: string;
  window: string;
  set: (p: Record<string, string>) => void;
}) {
  const [calendars, setCalendars] = useState<Calendar[] | null>(null);
  const [data, setData] = useState<{
    from: string;
    to: string;
    total: OeeRow[];
    drill: OeeRow[];
    over: { group: string; oee: number | null }[];
    downtimePareto: { reason: string; seconds: number; occurrences: number }[];
  } | null>(null);
  const [error, setError] = useState('');
  const last = useRef(0);

  useEffect(() => {
    gql<ShiftCalendarsQuery>(
      /* GraphQL */ `query ShiftCalendars { shiftCalendars { scope timeZone shifts { name start end } } }`,
    )
      .then((d) => setCalendars(d.shiftCalendars))
      .catch(() => setCalendars([]));
  }, []);
  const read = useCallback(() => {
    // Only the current shift needs the calendar: the other windows are read without waiting for it.
    if (!calendars && window === 'shift') return;
    last.current = Date.now();
    const calendar = (calendars ?? [])
      .filter((c) => scope === c.scope || scope.startsWith(`${c.scope}/`) || c.scope.startsWith(`${scope}/`))
      .sort((a, b) => b.scope.length - a.scope.length)[0];
    const now = new Date();
    now.setMilliseconds(0);
    const from = windowStart(window, now, calendar).toISOString();
    const to = now.toISOString();
    const depth = Math.min(5, scope.split('/').length) - 1;
    const variables = {
      scope,
      from,
      to,
      total: TOTAL[depth],
      drill: DRILL[depth],
      over: window === 'shift' ? 'Shift' : 'Day',
    };
    gql<OeeBoardQuery>(BOARD, variables)
      .then((d) => {
        setData({ ...d, from, to });
        setError('');
      })
      .catch((e: Error) => setError(e.message));
  }, [scope, window, calendars]);
  useEffect(() => {
    read();
    // Live during the shift: the hub announces new figures; the board reads at most every 5 s.
    const stops = [
      subscribe<OeeLiveSubscription>(
        /* GraphQL */ `subscription OeeLive($scope: String!) { oeeUpdated(scope: $scope) { path } }`,
        { scope },
        () => {
          if (Date.now() - last.current > 5000) read();
        },
      ),
      onReconnect(read),
    ];
    const timer = setInterval(read, 60_000);
    return () => {
      clearInterval(timer);
      for (const stop of stops) stop();
    };
  }, [read, scope]);

  const total = data?.total[0];
  return (
    <section class="oee" aria-labelledby="oee-title">
      <h1 id="oee-title">OEE · {scope}</h1>
      <fieldset class="controls">
        <legend>Window</legend>
        {[
          ['shift', 'Current shift'],
          ['day', 'Today'],
          ['week', '7 days'],
        ].map(([id, label]) => (
          <button key={id} type="button" aria-pressed={window === id} onClick={() => set({ window: id! })}>
            {label}
          </button>
        ))}
        {scope.includes('/') && (
          <button type="button" onClick={() => set({ scope: scope.split('/').slice(0, -1).join('/') })}>
            Up to {scope.split('/').slice(0, -1).join('/')}
          </button>
        )}
      </fieldset>
      {error && (
        <p role="alert" class="refusal">
          {error}
        </p>
      )}
      {data && (
        <p class="window" data-from={data.from} data-to={data.to}>
          {new Date(data.from).toLocaleString()} – {new Date(data.to).toLocaleString()}
        </p>
      )}
      {data && !total && <p class="quiet">No figures for this scope and window.</p>}
      {total && (
        <>
          <dl class="figures" data-testid="figures">
            {(
              [
                ['OEE', 'oee'],
                ['Availability', 'availability'],
                ['Performance', 'performance'],
                ['Quality', 'quality'],
              ] as const
            ).map(([label, key]) => (
              <div key={key} class="figure">
                <dt>{label}</dt>
                <dd data-figure={key} data-value={total[key] ?? ''}>
                  {percent(total[key])}
                </dd>
              </div>
            ))}
            <div class="figure">
              <dt>MTBF</dt>
              <dd data-figure="mtbf" data-value={total.mtbf ?? ''}>
                {total.mtbf == null ? '–' : hours(total.mtbf)}
              </dd>
            </div>
            <div class="figure">
              <dt>MTTR</dt>
              <dd data-figure="mttr" data-value={total.mttr ?? ''}>
                {total.mttr == null ? '–' : hours(total.mttr)}
              </dd>
            </div>
            <div class="figure">
              <dt>Good / produced</dt>
              <dd data-figure="good" data-value={total.goodQuantity}>
                {total.goodQuantity} / {total.producedQuantity}
              </dd>
            </div>
          </dl>
          <div class="panels">
            <figure>
              <figcaption>OEE over the window</figcaption>
              <BarChart
                label="OEE per period"
                bars={(data?.over ?? []).map((r) => ({ label: r.group, value: r.oee ?? 0 }))}
                max={1}
                format={(v) => percent(v)}
              />
            </figure>
            <figure>
              <figcaption>Losses: planned busy → actual production → good</figcaption>
              <Waterfall label="Loss waterfall" format={hours} steps={waterfall(total)} />
            </figure>
            <figure>
              <figcaption>Downtime Pareto</figcaption>
              <BarChart
                label="Downtime by reason"
                bars={(data?.downtimePareto ?? []).slice(0, 8).map((r) => ({
                  label: r.reason,
                  value: r.seconds,
                  colour: '#c0392b',
                  title: `${r.reason}: ${hours(r.seconds)}, ${r.occurrences}×`,
                }))}
                format={hours}
              />
            </figure>
          </div>
          <table class="drill">
            <caption>One level down: choose a row to drill in</caption>
            <thead>
              <tr>
                <th scope="col">Where</th>
                <th scope="col">OEE</th>
                <th scope="col">Availability</th>
                <th scope="col">Performance</th>
                <th scope="col">Quality</th>
                <th scope="col">Good</th>
              </tr>
            </thead>
            <tbody>
              {(data?.drill ?? [])
                .filter((r) => r.group !== scope)
                .map((r) => (
                  <tr key={r.group}>
                    <th scope="row">
                      <a href={`#/oee?scope=${encodeURIComponent(r.group)}&window=${window}`}>{r.group}</a>
                    </th>
                    <td>{percent(r.oee)}</td>
                    <td>{percent(r.availability)}</td>
                    <td>{percent(r.performance)}</td>
                    <td>{percent(r.quality)}</td>
                    <td>{r.goodQuantity}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** ISO 22400: planned busy time, less down and delay time, is actual production time; less speed and quality losses, good time. */
function waterfall(r: OeeRow) {
  // Performance above 100 % (an ideal cycle time set too slow) is no loss: the bar stays at zero.
  const speedLoss = Math.max(0, r.actualProductionTime * (1 - (r.performance ?? 1)));
  const qualityLoss = Math.max(0, (r.actualProductionTime - speedLoss) * (1 - (r.quality ?? 1)));
  return [
    { label: 'Planned busy', value: r.plannedBusyTime, kind: 'total' as const },
    { label: 'Down time', value: r.actualUnitDownTime, kind: 'loss' as const },
    { label: 'Delay time', value: r.actualUnitDelayTime, kind: 'loss' as const },
    { label: 'Actual production', value: r.actualProductionTime, kind: 'total' as const },
    { label: 'Speed loss', value: speedLoss, kind: 'loss' as const },
    { label: 'Quality loss', value: qualityLoss, kind: 'loss' as const },
    { label: 'Good', value: r.actualProductionTime - speedLoss - qualityLoss, kind: 'total' as const },
  ];
}

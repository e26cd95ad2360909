// The schedule of the orders screen: a timeline of the scope's units (issue 20's `schedule`), each
// work center's dispatch list (`dispatchList`), and every conflict named; live by `scheduleChanged`.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { gql, onReconnect, subscribe } from './api.js';
import type { DispatchListQuery, ScheduleChangesSubscription, ScheduleQuery } from './generated/operations.js';

type Timed = ScheduleQuery['schedule'][number];

const SCHEDULE = /* GraphQL */ `query Schedule($scope: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
  schedule(scope: $scope, from: $from, to: $to) {
    entry { id kind orderNumber product unitPath start end } state readiness
    problems { kind orderNumber subject message }
  }
}`;
const DISPATCH = /* GraphQL */ `query DispatchList($workCenter: String!) {
  dispatchList(workCenter: $workCenter, first: 10) {
    entry { id kind orderNumber product unitPath start end } state readiness
    problems { kind orderNumber subject message }
  }
}`;
const SCHEDULE_CHANGES = /* GraphQL */ `subscription ScheduleChanges($scope: String!) {
  scheduleChanged(scope: $scope) { type entryId kind orderNumber path start end }
}`;
/** The window shown: from 6 hours ago (what just ran) to 2 days ahead (what the shifts will run). */
const BEFORE_MS = 6 * 3_600_000;
const AHEAD_MS = 48 * 3_600_000;
const HOUR = 3_600_000;
const TIME: Intl.DateTimeFormatOptions = { weekday: 'short', hour: '2-digit', minute: '2-digit' };

const label = (s: Timed) => s.entry.orderNumber ?? s.entry.kind;
const clock = (iso: string) => new Date(iso).toLocaleString([], TIME);
/** A block's tooltip: what, when, and how many conflicts. */
const describe = (s: Timed) =>
  `${label(s)} ${s.entry.product ?? ''} · ${clock(s.entry.start)}–${clock(s.entry.end)}` +
  (s.problems.length ? ` · ${s.problems.length} conflict(s)` : '');
/** A unit's path below the scope; the scope itself by its last segment (a line shown as `line-2`). */
const relative = (path: string, scope: string) =>
  path.startsWith(`${scope}/`) ? path.slice(scope.length + 1) : path === scope ? path.split('/').at(-1)! : path;

export function Schedule({ scope }: { scope: string }) {
  const [slots, setSlots] = useState<Timed[]>([]);
  const [dispatch, setDispatch] = useState<[string, Timed[]][]>([]);
  const [window, setWindow] = useState<[number, number]>([0, 1]);
  const [error, setError] = useState('');
  const read = useCallback(() => {
    const now = Date.now();
    const [from, to] = [now - BEFORE_MS, now + AHEAD_MS];
    gql<ScheduleQuery>(SCHEDULE, {
      scope,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    })
      .then(async (d) => {
        setWindow([from, to]);
        setSlots(d.schedule);
        setError('');
        // A work center is a unit that holds entries in the window; each has its own list of what runs next.
        const centers = [...new Set(d.schedule.map((s) => s.entry.unitPath))].sort();
        const lists = await Promise.all(
          centers.map((workCenter) =>
            gql<DispatchListQuery>(DISPATCH, { workCenter }).then((l) => [workCenter, l.dispatchList] as const),
          ),
        );
        setDispatch(lists.map(([c, l]) => [c, l]));
      })
      .catch((e: Error) => setError(e.message));
  }, [scope]);
  useEffect(() => {
    read();
    // The event moves the block at once; the read that follows brings its state, readiness and conflicts.
    const placed = ({ scheduleChanged: c }: ScheduleChangesSubscription) => {
      setSlots((all) => {
        const others = all.filter((s) => s.entry.id !== c.entryId);
        if (c.type === 'ScheduleEntryRemoved') return others;
        const entry = { id: c.entryId, kind: c.kind, orderNumber: c.orderNumber, product: null, unitPath: c.path };
        return [
          ...others,
          { entry: { ...entry, start: c.start, end: c.end }, state: null, readiness: 'Ready', problems: [] },
        ];
      });
      read();
    };
    const stops = [subscribe<ScheduleChangesSubscription>(SCHEDULE_CHANGES, { scope }, placed), onReconnect(read)];
    return () => {
      for (const stop of stops) stop();
    };
  }, [read, scope]);

  const units = [...new Set(slots.map((s) => s.entry.unitPath))].sort();
  const conflicts = slots.flatMap((s) => s.problems.map((p) => ({ slot: s, problem: p })));
  const [from, to] = window;
  const now = ((Date.now() - from) / (to - from)) * 100;
  const at = (iso: string) => Math.min(100, Math.max(0, ((Date.parse(iso) - from) / (to - from)) * 100));
  const hours = Array.from({ length: Math.floor((to - from) / (6 * HOUR)) }, (_, i) => {
    const t = Math.ceil(from / (6 * HOUR)) * 6 * HOUR + i * 6 * HOUR;
    return { t, left: ((t - from) / (to - from)) * 100 };
  }).filter((h) => h.left < 100);
  return (
    <section class="schedule" aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule</h2>
      {error && (
        <p role="alert" class="refusal">
          {error}
        </p>
      )}
      {units.length === 0 && !error && <p class="quiet">Nothing scheduled in the next two days.</p>}
      <div class="timeline">
        {units.length > 0 && (
          <div class="axis" aria-hidden="true">
            {hours.map((h) => (
              <span key={h.t} style={{ left: `${h.left}%` }}>
                {clock(new Date(h.t).toISOString())}
              </span>
            ))}
          </div>
        )}
        <ul aria-label="Schedule by unit">
          {units.map((unit) => (
            <li key={unit} class="unit-row">
              <span class="unit-name">{relative(unit, scope)}</span>
              <div class="lane">
                <span class="now" style={{ left: `${now}%` }} title="now" />
                {slots
                  .filter((s) => s.entry.unitPath === unit)
                  .map((s) => (
                    <span
                      key={s.entry.id}
                      class={`block ${s.entry.kind.toLowerCase()}${s.problems.length ? ' conflict' : ''}`}
                      data-entry={s.entry.orderNumber ?? s.entry.id}
                      style={{
                        left: `${at(s.entry.start)}%`,
                        width: `${Math.max(0.5, at(s.entry.end) - at(s.entry.start))}%`,
                      }}
                      title={describe(s)}
                    >
                      {s.problems.length ? '⚠ ' : ''}
                      {label(s)}
                    </span>
                  ))}
              </div>
            </li>
          ))}
        </ul>
      </div>
      {conflicts.length > 0 && (
        <>
          <h3>Conflicts</h3>
          <ul class="conflicts" data-testid="conflicts">
            {conflicts.map(({ slot, problem }) => (
              <li key={`${slot.entry.id}${problem.kind}${problem.subject}`}>
                <strong>{label(slot)}</strong> · {problem.kind}: {problem.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <div class="dispatch-lists">
        {dispatch.map(([center, list]) => (
          <table key={center} class="dispatch-list" data-work-center={center}>
            <caption>Dispatch list · {relative(center, scope)}</caption>
            <thead>
              <tr>
                <th scope="col">Next</th>
                <th scope="col">Start</th>
                <th scope="col">State</th>
                <th scope="col">Readiness</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.entry.id} class={s.problems.length ? 'conflict' : undefined}>
                  <th scope="row">{label(s)}</th>
                  <td>{clock(s.entry.start)}</td>
                  <td>{s.state ?? '–'}</td>
                  <td title={s.problems.map((p) => p.message).join('\n')}>{s.readiness}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      </div>
    </section>
  );
}

import { describe, expect, it } from 'vitest';
import { EquipmentState as S } from '@plantgraph/schema';
import { computeOee, shiftWindows, type OeeInput } from '@plantgraph/hub';

/** Hand-computed vectors; each is worked through in docs/oee.md. Times are UTC. */
const t = (hhmm: string, day = '2026-03-02') => {
  const [h, m, s = '0'] = hhmm.split(':');
  return new Date(`${day}T${h!.padStart(2, '0')}:${m}:${s.padStart(2, '0')}Z`);
};
const state = (from: Date, to: Date, st: S, reason: string | null = null) => ({ from, to, state: st, reason });

describe('OEE test vectors (ISO 22400-2 elements)', () => {
  it('vector 1: night shift across midnight, a break, a changeover, a microstop, planned maintenance, starving', () => {
    const d2 = '2026-03-03';
    const input: OeeInput = {
      window: { from: t('22:00'), to: t('06:00', d2) },
      shifts: [{ from: t('22:00'), to: t('06:00', d2), breaks: [{ from: t('02:00', d2), to: t('02:30', d2) }] }],
      states: [
        state(t('22:00'), t('23:00'), S.Running),
        state(t('23:00'), t('23:01:30'), S.Down, 'JAM'),
        state(t('23:01:30'), t('00:30', d2), S.Running),
        state(t('00:30', d2), t('01:00', d2), S.Down, 'CHANGEOVER'),
        state(t('01:00', d2), t('02:00', d2), S.Running),
        state(t('02:00', d2), t('02:30', d2), S.Idle, 'BREAK'),
        state(t('02:30', d2), t('04:00', d2), S.Running),
        state(t('04:00', d2), t('04:20', d2), S.Maintenance, 'PM'),
        state(t('04:20', d2), t('05:40', d2), S.Running),
        state(t('05:40', d2), t('06:00', d2), S.Idle, 'STARVED'),
      ],
      counts: [
        { at: t('23:59'), good: 1000, scrap: 30, rework: 0 },
        { at: t('02:15', d2), good: 50, scrap: 0, rework: 0 }, // inside the break: not counted
        { at: t('03:59', d2), good: 1200, scrap: 20, rework: 20 },
        { at: t('05:59', d2), good: 1200, scrap: 30, rework: 0 },
      ],
      idealCycleTimeSeconds: 6,
      microstopThresholdSeconds: 120,
    };
    const f = computeOee(input);
    expect(f).toMatchObject({
      plannedOperationTime: 27_000,
      plannedDowntime: 1_200,
      plannedBusyTime: 25_800,
      actualProductionTime: 22_800,
      actualUnitDownTime: 1_800,
      actualUnitDelayTime: 1_200,
      microstopTime: 90,
      noDataTime: 0,
      producedQuantity: 3_500,
      goodQuantity: 3_400,
      scrapQuantity: 80,
      reworkQuantity: 20,
      mtbf: 22_800,
      mttr: 1_800,
      topDowntimeReasons: [
        { reason: 'CHANGEOVER', seconds: 1_800, occurrences: 1 },
        { reason: 'STARVED', seconds: 1_200, occurrences: 1 },
      ],
    });
    expect(f.actualProductionTime + f.actualUnitDownTime + f.actualUnitDelayTime).toBe(f.plannedBusyTime);
    expect(f.availability).toBeCloseTo(22_800 / 25_800, 12);
    expect(f.performance).toBeCloseTo(21_000 / 22_800, 12);
    expect(f.quality).toBeCloseTo(3_400 / 3_500, 12);
    expect(f.oee).toBeCloseTo(71_400_000 / 90_300_000, 12); // 0.790697…
  });

  it('vector 2: a state change exactly at the shift boundary, an hour without data', () => {
    const f = computeOee({
      window: { from: t('06:00'), to: t('14:00') },
      shifts: [{ from: t('06:00'), to: t('14:00'), breaks: [] }],
      states: [
        state(t('05:00'), t('06:00'), S.Down, 'BREAKDOWN'), // before the shift: ignored
        state(t('06:00'), t('10:00'), S.Running),
        state(t('11:00'), t('14:00'), S.Running), // 10:00–11:00: no data
        state(t('14:00'), t('15:00'), S.Down, 'BREAKDOWN'), // starts exactly at the end: ignored
      ],
      counts: [
        { at: t('09:00'), good: 1000, scrap: 0, rework: 0 },
        { at: t('13:00'), good: 1200, scrap: 60, rework: 0 },
        { at: t('14:00'), good: 99, scrap: 0, rework: 0 },
      ],
      idealCycleTimeSeconds: 10,
      microstopThresholdSeconds: 120,
    });
    expect(f).toMatchObject({
      plannedBusyTime: 28_800,
      actualProductionTime: 25_200,
      noDataTime: 3_600,
      actualUnitDelayTime: 3_600,
      actualUnitDownTime: 0,
      producedQuantity: 2_260,
      mtbf: null,
      mttr: null,
      topDowntimeReasons: [],
    });
    expect(f.availability).toBe(0.875);
    expect(f.performance).toBeCloseTo(22_600 / 25_200, 12);
    expect(f.quality).toBeCloseTo(2_200 / 2_260, 12);
    expect(f.oee).toBeCloseTo(22_000 / 28_800, 12); // 0.763888…
  });

  it('vector 3: a window spanning two shifts, with one stop across the shift change', () => {
    const f = computeOee({
      window: { from: t('12:00'), to: t('18:00') },
      shifts: [
        { from: t('06:00'), to: t('14:00'), breaks: [] },
        { from: t('14:00'), to: t('22:00'), breaks: [] },
      ],
      states: [
        state(t('06:00'), t('13:50'), S.Running),
        state(t('13:50'), t('14:10'), S.Down, 'TOOL_CHANGE'),
        state(t('14:10'), t('22:00'), S.Running),
      ],
      counts: [
        { at: t('13:00'), good: 700, scrap: 0, rework: 0 },
        { at: t('17:00'), good: 1300, scrap: 0, rework: 0 },
      ],
      idealCycleTimeSeconds: 10,
      microstopThresholdSeconds: 120,
    });
    expect(f).toMatchObject({
      plannedBusyTime: 21_600,
      actualProductionTime: 20_400,
      actualUnitDownTime: 1_200,
      mtbf: 20_400,
      mttr: 1_200,
      quality: 1,
    });
    expect(f.oee).toBeCloseTo(20_000 / 21_600, 12); // 0.925925…
  });

  it('vector 4: no ideal cycle time gives no performance and no OEE, but availability', () => {
    const f = computeOee({
      window: { from: t('06:00'), to: t('07:00') },
      shifts: [{ from: t('06:00'), to: t('07:00'), breaks: [] }],
      states: [state(t('06:00'), t('06:45'), S.Running), state(t('06:45'), t('07:00'), S.Down, 'JAM')],
      counts: [{ at: t('06:30'), good: 10, scrap: 0, rework: 0 }],
      idealCycleTimeSeconds: null,
      microstopThresholdSeconds: 120,
    });
    expect(f).toMatchObject({ availability: 0.75, performance: null, quality: 1, oee: null });
  });

  it('vector 5: shift calendars in local time, also across a DST change and midnight', () => {
    const calendar = {
      timeZone: 'Europe/Berlin',
      shifts: [{ name: 'Night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30' }] }],
    };
    // 28 → 29 March 2026: clocks go from 02:00 CET to 03:00 CEST, so this night lasts 7 hours.
    const [night] = shiftWindows(calendar, {
      from: new Date('2026-03-28T20:00:00Z'),
      to: new Date('2026-03-29T06:00:00Z'),
    });
    expect(night).toMatchObject({
      label: '2026-03-28 Night',
      from: new Date('2026-03-28T21:00:00Z'),
      to: new Date('2026-03-29T04:00:00Z'),
    });
    // 02:00–02:30 does not exist that night; the break falls on the first half hour after the jump.
    expect(night!.breaks).toEqual([{ from: new Date('2026-03-29T01:00:00Z'), to: new Date('2026-03-29T01:30:00Z') }]);
    const summer = shiftWindows(calendar, {
      from: new Date('2026-07-01T12:00:00Z'),
      to: new Date('2026-07-02T12:00:00Z'),
    });
    expect(summer.map((s) => [s.label, s.from.toISOString(), s.to.toISOString()])).toEqual([
      ['2026-07-01 Night', '2026-07-01T20:00:00.000Z', '2026-07-02T04:00:00.000Z'],
    ]);
  });
});

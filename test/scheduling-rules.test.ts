import { describe, expect, it } from 'vitest';
import { RequiredCleaning } from '@plantgraph/schema';
import { changeoverBetween, type Job, type ProductTraits, sequenceJobs, simulate, WorkingTime } from '@plantgraph/hub';

const RULES = [
  {
    name: 'product-change',
    scope: 'acme/berlin',
    fromProducts: '*',
    toProducts: '*',
    minutes: 20,
    requiredCleaning: RequiredCleaning.None,
  },
  {
    name: 'allergen-peanut-out',
    scope: 'acme/berlin',
    fromProducts: 'contains:peanut',
    toProducts: 'free-of:peanut',
    minutes: 60,
    requiredCleaning: RequiredCleaning.Sanitation,
  },
  {
    name: 'allergen-peanut-in',
    scope: 'acme/berlin',
    fromProducts: 'free-of:peanut',
    toProducts: 'contains:peanut',
    minutes: 20,
    requiredCleaning: RequiredCleaning.None,
  },
];
const PLAIN: ProductTraits = { product: 'PLAIN', family: 'cookies', allergens: [] };
const PEANUT: ProductTraits = { product: 'PEANUT', family: 'cookies', allergens: ['peanut'] };
const LINE = 'acme/berlin/packaging/line-3';
const CALENDAR = {
  timeZone: 'Europe/Berlin',
  shifts: [{ name: 'Early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30' }] }],
};
const at = (iso: string) => Date.parse(iso);

/** The pure parts of scheduling (ADR 0043): the changeover matrix, working time and the sequencer. */
describe('scheduling rules', () => {
  it('asks for a sanitation from an allergen to a product free of it, and nothing the other way', () => {
    expect(changeoverBetween(RULES, LINE, PEANUT, PLAIN)).toEqual({
      minutes: 60,
      cleaning: RequiredCleaning.Sanitation,
      rules: ['allergen-peanut-out', 'product-change'],
      cleaningRule: 'allergen-peanut-out',
    });
    expect(changeoverBetween(RULES, LINE, PLAIN, PEANUT)).toMatchObject({
      minutes: 20,
      cleaning: RequiredCleaning.None,
    });
    // The same product again, a unit outside the rules' scope, and no predecessor need nothing.
    expect(changeoverBetween(RULES, LINE, PLAIN, PLAIN).minutes).toBe(0);
    expect(changeoverBetween(RULES, 'acme/paris/line-1', PEANUT, PLAIN).minutes).toBe(0);
    expect(changeoverBetween(RULES, LINE, null, PLAIN).minutes).toBe(0);
  });

  it('carries work over a break and to the next shift, and says where an instant falls', () => {
    const time = new WorkingTime(CALENDAR, {
      from: new Date('2027-03-01T00:00:00Z'),
      to: new Date('2027-03-10T00:00:00Z'),
    });
    // 09:40 Berlin (UTC+1) + 44 min: 20 min to the break, 24 after it.
    expect(new Date(time.finish(at('2027-03-01T08:40:00Z'), 44)).toISOString()).toBe('2027-03-01T09:54:00.000Z');
    // 13:30 Berlin + 60 min: 30 min today, 30 min from 06:00 tomorrow.
    expect(new Date(time.finish(at('2027-03-01T12:30:00Z'), 60)).toISOString()).toBe('2027-03-02T05:30:00.000Z');
    expect(time.where(at('2027-03-01T09:10:00Z'))).toEqual({ at: 'break', shift: '2027-03-01 Early' });
    expect(time.where(at('2027-03-01T02:00:00Z'))).toEqual({ at: 'off' });
    expect(new Date(time.next(at('2027-03-01T02:00:00Z'))).toISOString()).toBe('2027-03-01T05:00:00.000Z');
  });

  it('groups alternating allergen orders so only one changeover is left, and beats the order of arrival', () => {
    const time = new WorkingTime(null, { from: new Date(0), to: new Date(1) });
    const traits = new Map([
      ['PLAIN', PLAIN],
      ['PEANUT', PEANUT],
    ]);
    const change = (from: string | null, to: string) =>
      changeoverBetween(RULES, LINE, from ? traits.get(from)! : null, traits.get(to)!);
    const jobs: Job[] = Array.from({ length: 6 }, (_, i) => ({
      id: `J${i}`,
      product: i % 2 ? 'PEANUT' : 'PLAIN',
      minutes: 45,
      due: null,
    }));
    const start = at('2027-03-01T05:00:00Z');
    const arrival = simulate(jobs, start, null, time, change);
    expect(arrival.changeoverMinutes).toBe(3 * 20 + 2 * 60);
    const plan = sequenceJobs(jobs, start, null, time, change);
    expect(plan.changeoverMinutes).toBe(20);
    expect(plan.slots.map((s) => s.job.product)).toEqual(['PLAIN', 'PLAIN', 'PLAIN', 'PEANUT', 'PEANUT', 'PEANUT']);
    // Deterministic: the same backlog gives the same sequence.
    expect(sequenceJobs(jobs, start, null, time, change).slots.map((s) => s.job.id)).toEqual(
      plan.slots.map((s) => s.job.id),
    );
  });
});

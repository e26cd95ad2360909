import { IndustryProfile, MaintenanceOrderKind } from '@plantgraph/schema';
import { type DomainFailure, type Principal, type Services, shiftWindows } from '@plantgraph/hub';

const DAY = 86_400_000;
const ZONE = 'Europe/Berlin';
const EARLY = { name: 'Early', start: '06:00', end: '14:00', breaks: [] };

/** The plant's local date (YYYY-MM-DD) of the Monday of the week `at` falls in. */
function localMonday(at: Date): string {
  const local = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(at);
  const day = new Date(`${local}T00:00:00Z`);
  const back = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - back * DAY).toISOString().slice(0, 10);
}

/**
 * What a planner of the demo plant sees beside orders and the changeover matrix (issue 20): the
 * site's words (Discrete), a preventive maintenance order with a planned window on line 2 (the
 * early shift three days after seeding), a shift roster (the day crew on every early shift, and on
 * the late shift Monday to Friday; nobody on nights) and a purchase order of bolts expected in two
 * days. Dates follow the seeding time, so a planner always has them ahead.
 */
export async function seedDemoPlanning(
  services: Services,
  actor: Principal,
  must: <T>(r: T | DomainFailure) => T,
): Promise<void> {
  const now = Date.now();
  must(await services.industryProfiles.set(actor, 'acme/berlin', IndustryProfile.Discrete));
  const [window] = shiftWindows(
    { timeZone: ZONE, shifts: [EARLY] },
    { from: new Date(now + 3 * DAY), to: new Date(now + 5 * DAY) },
  ).filter((w) => w.from.getTime() >= now + 2 * DAY);
  must(
    await services.maintenanceOrders.open(actor, {
      number: 'PM-2026-0417',
      kind: MaintenanceOrderKind.Preventive,
      equipment: 'acme/berlin/assembly/line-2/assembler-1',
      description: 'Quarterly inspection of the assembly station: clamps, sensors, pneumatics',
      dueAt: window!.to,
      plannedStart: window!.from,
      plannedEnd: window!.to,
    }),
  );
  const monday = localMonday(new Date(now));
  const crew = [
    ['Early', ['E1001', 'E1002', 'E1003', 'E2001', 'E2002'], null],
    ['Late', ['E1001', 'E1003', 'E2001', 'E2002'], 'WWWWW--'],
  ] as const;
  for (const [shift, people, pattern] of crew)
    for (const employeeId of people)
      must(
        await services.schedulingResources.rosterShift(actor, {
          scope: 'acme/berlin',
          shift,
          employeeId,
          validFrom: monday,
          pattern,
        }),
      );
  must(
    await services.schedulingResources.recordPlannedReceipt(actor, {
      reference: 'PO-4500012345/10',
      material: 'BOLT-M8',
      quantity: 10000,
      expectedAt: new Date(now + 2 * DAY),
      location: 'acme/berlin/assembly/store-1',
    }),
  );
}

import { graphql, graphqlRaw, type Mode, type TestHub, type TestHubSettings } from './harness.js';
import { utcMidnightAhead } from './calendar.js';
import { startHubWithIdp, type TestIdentityProvider } from './idp.js';

export const LINE_1 = 'acme/berlin/assembly/line-1';
export const LINE_2 = 'acme/berlin/assembly/line-2';
export const TESTER = `${LINE_2}/tester-1`;
/** The demo's bracket on line 1: line 2's tester is named in the master record for the inspection. */
export const LINE_1_ASSIGNMENTS = [
  { segment: '10-stamp', equipment: `${LINE_1}/press-1`, operators: ['E1001'] },
  { segment: '20-weld', equipment: `${LINE_1}/welder-1`, operators: ['E1001'] },
  { segment: '30-inspect', equipment: TESTER, operators: ['E2001'] },
];

export const R = '__typename ... on ErrorResult { code message }';

const HOUR = 3_600_000;
/** UTC midnight a month from when the test file loaded: the first window's start, whatever the date. */
const FIRST_WINDOW = utcMidnightAhead(30);
/**
 * A planned window of its own for the `n`th order of a test (8 h each, from a month ahead), so orders
 * sharing equipment do not overlap unless a test wants them to.
 */
export function plannedWindow(n: number, hours = 8): { plannedStart: string; plannedEnd: string } {
  const start = FIRST_WINDOW + n * 10 * HOUR;
  return { plannedStart: new Date(start).toISOString(), plannedEnd: new Date(start + hours * HOUR).toISOString() };
}

/** The people of the demo plant, as the test identity provider signs them in. */
export function demoPeople(idp: TestIdentityProvider): Record<string, () => Promise<string>> {
  return {
    admin: () => idp.token({ sub: 'plant-admin', roles: ['admin@acme'] }),
    chen: () => idp.token({ sub: 'E1003', roles: ['supervisor@acme/berlin'] }),
    ana: () => idp.token({ sub: 'E1001', roles: ['operator@acme/berlin/assembly'] }),
    dana: () => idp.token({ sub: 'E2001', roles: ['quality@acme', 'operator@acme/berlin/assembly'] }),
    // Quality who executes nothing: the one to release a batch Dana inspected.
    ines: () => idp.token({ sub: 'E2003', roles: ['quality@acme'] }),
    mia: () => idp.token({ sub: 'M3001', roles: ['maintenance@acme/berlin'] }),
    pia: () => idp.token({ sub: 'M3002', roles: ['maintenance@acme/berlin/packaging'] }),
    eng: () => idp.token({ sub: 'N4001', roles: ['engineer@acme'] }),
  };
}

/** Runs operations as the people of `demoPeople`; `raw` gives the response with its errors. */
export function actAs(hub: TestHub, people: Record<string, () => Promise<string>>) {
  return {
    run: async (who: string, query: string, variables?: object) =>
      graphql(hub.url, query, variables as Record<string, unknown>, await people[who]!()),
    raw: async (who: string, query: string, variables?: object) =>
      (await graphqlRaw(hub.url, { query, variables }, await people[who]!())).body,
  };
}

/** Creates a Draft order of the demo bracket on `line` in its own planned window; fails the test if refused. */
export async function draftOrder(
  run: (query: string, variables?: object) => Promise<any>,
  number: string,
  options: {
    line?: string;
    quantity?: number;
    /** `plannedWindow(window)`, or these times; neither: no planned times. */
    window?: number | null;
    planned?: { plannedStart: string; plannedEnd: string };
    productDefinition?: string;
  } = {},
): Promise<void> {
  const { line = LINE_1, quantity = 10, window = null, planned, productDefinition = 'PD-BRACKET-A' } = options;
  const times = planned ?? (window == null ? {} : plannedWindow(window));
  const { r } = await run(`mutation ($i: CreateWorkOrderInput!) { r: createWorkOrder(input: $i) { ${R} } }`, {
    i: { number, productDefinition, quantity, equipment: line, ...times },
  });
  if (r.__typename !== 'WorkOrder') throw new Error(`createWorkOrder ${number} refused: ${JSON.stringify(r)}`);
}

export const RELEASE = `mutation ($i: ReleaseWorkOrderInput!) { r: releaseWorkOrder(input: $i) { ${R}
  ... on WorkOrder { state } ... on ReleaseBlocked { problems { kind segment subject message } } } }`;

type Act = ReturnType<typeof actAs>;
/** A signature by one of `demoPeople`, freshly signed in. */
export const signatureOf = async (people: Record<string, () => Promise<string>>, who: string, meaning: string) => ({
  token: await people[who]!(),
  meaning,
});

/** Runs an operation as one of `demoPeople` and gives its answer; fails the test when it is refused or blocked. */
export function mustAs(as: Act) {
  return async (who: string, query: string, variables?: object) => {
    const data = await as.run(who, query, variables);
    const answer = Object.values(data)[0] as { __typename: string };
    if (answer.__typename === 'NotFound' || 'code' in answer || 'problems' in answer)
      throw new Error(`${who}: ${JSON.stringify(answer)}`);
    return answer as any;
  };
}

/** Releases a Draft order of the demo bracket to line 1, starts it, and has its line clearance signed. */
export async function startOnLine1(as: Act, people: Record<string, () => Promise<string>>, number: string) {
  const must = mustAs(as);
  await must('chen', RELEASE, { i: { number, assignments: LINE_1_ASSIGNMENTS } });
  await must('ana', `mutation { r: startWorkOrder(input: { number: "${number}" }) { ${R} } }`);
  await must(
    'chen',
    `mutation ($s: SignatureInput) { r: confirmLineClearance(number: "${number}", signature: $s) { ${R} } }`,
    { s: await signatureOf(people, 'chen', 'Responsibility') },
  );
}

/**
 * Takes a Draft order of the demo bracket on line 1 through execution to UnderReview, as the demo's
 * people do it (no material consumed): the produced lot is in Quarantine, waiting for quality.
 */
export async function executeToReview(
  as: Act,
  people: Record<string, () => Promise<string>>,
  number: string,
  lot: { lotNumber: string; quantity: number },
): Promise<void> {
  const must = async (who: string, query: string, variables?: object) => {
    const data = await as.run(who, query, variables);
    const answer = Object.values(data)[0] as { __typename: string; message?: string };
    if (!['WorkOrder', 'StepRecord'].includes(answer.__typename))
      throw new Error(`${who}: ${query.slice(0, 60)}… refused: ${JSON.stringify(answer)}`);
  };
  await startOnLine1(as, people, number);
  await runBracketSteps(as, people, number);
  await must(
    'ana',
    `mutation { r: completeWorkOrder(number: "${number}", producedLotNumber: "${lot.lotNumber}", producedQuantity: ${lot.quantity}) { ${R} } }`,
  );
  await must('ana', `mutation { r: submitWorkOrderForReview(number: "${number}") { ${R} } }`);
}

/** A demo hub trusting a test identity provider, with the demo's people to act as. */
export async function startDemoWithPeople(mode: Mode, settings: TestHubSettings = {}) {
  const { idp, hub } = await startHubWithIdp({ demo: true, simulatorIntervalMs: 0, ...settings }, mode);
  const people = demoPeople(idp);
  return { idp, hub, people, as: actAs(hub, people) };
}

/** Runs the bracket's three steps of an order (or of a campaign's batch in work) as the demo's people do. */
export async function runBracketSteps(as: Act, people: Record<string, () => Promise<string>>, number: string) {
  const must = mustAs(as);
  const verify = async () => ({ v: await signatureOf(people, 'chen', 'Verification') });
  const complete = (critical: boolean) =>
    critical
      ? `mutation ($v: SignatureInput) { r: completeStep(number: "${number}", verification: $v) { ${R} } }`
      : `mutation { r: completeStep(number: "${number}") { ${R} } }`;
  for (const [who, parameter, value, critical] of [
    ['ana', 'pressure', 180, false],
    ['ana', 'current', 9.5, true],
    ['dana', null, null, true],
  ] as const) {
    await must(who, `mutation { r: startStep(number: "${number}") { ${R} } }`);
    if (parameter)
      await must(
        who,
        `mutation { r: recordMeasurements(number: "${number}", measurements: [{ parameter: "${parameter}", value: ${value} }]) { ${R} } }`,
      );
    await must(who, complete(critical), critical ? await verify() : {});
  }
}

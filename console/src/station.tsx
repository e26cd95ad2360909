// The operator's station: the current step only, with its pinned instruction, capture fields with
// their limits (out of tolerance shown as it is typed), material by lot number (a keyboard-wedge
// scanner types it and presses Enter), the two-person signature, and the guards' refusals as said.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { gql, refusal as inPlainWords } from './api.js';
import type {
  CompleteStepMutation,
  ConfirmLineClearanceMutation,
  ConsumeMaterialMutation,
  RecordMeasurementsMutation,
  StartOrderMutation,
  StartStepMutation,
  StationOrderQuery,
  StationOrdersQuery,
} from './generated/operations.js';
import { ORDER_CHANGES, type OrderScreenProps, useLive } from './live.js';
import { type SignatureInput, SignatureDialog } from './signature.js';

type Parameter = { name: string; target: number; lowerLimit: number; upperLimit: number; unitOfMeasure: string | null };
type Step = {
  code: string;
  name: string;
  workInstruction: string | null;
  critical: boolean;
  parameters: Parameter[];
  materials: { materialDefinition: string; use: string; quantity: number; unitOfMeasure: string }[];
};
type StepRecord = {
  segment: string;
  operator: string;
  completedAt: string | null;
  measurements: { parameter: string; value: number; withinTolerance: boolean }[];
};
type Order = {
  number: string;
  state: string;
  lineClearedAt: string | null;
  currentStep: Step | null;
  steps: StepRecord[];
  deviations: {
    id: string;
    kind: string;
    severity: string;
    state: string;
    segment: string | null;
    description: string;
  }[];
  reservations: { segment: string; quantity: number; consumedQuantity: number; lot: { lotNumber: string } }[];
};

const ORDER = /* GraphQL */ `query StationOrder($number: String!) {
  workOrder(number: $number) {
    number state lineClearedAt
    currentStep { code name workInstruction critical
      parameters { name target lowerLimit upperLimit unitOfMeasure }
      materials { materialDefinition use quantity unitOfMeasure } }
    steps { segment operator completedAt measurements { parameter value withinTolerance } }
    deviations { id kind severity state segment description }
    reservations { segment quantity consumedQuantity lot { lotNumber } }
  }
}`;
const ORDERS = /* GraphQL */ `query StationOrders($scope: String!) {
  workOrders(first: 100, filter: { equipmentPrefix: $scope, state: [Released, InProgress, Paused] }) {
    edges { node { number state } }
  }
}`;

const START_ORDER = /* GraphQL */ `mutation StartOrder($number: String!) {
  result: startWorkOrder(input: { number: $number }) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
const CONFIRM_LINE_CLEARANCE = /* GraphQL */ `mutation ConfirmLineClearance($number: String!, $s: SignatureInput) {
  result: confirmLineClearance(number: $number, signature: $s) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
const START_STEP = /* GraphQL */ `mutation StartStep($number: String!) {
  result: startStep(number: $number) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
const RECORD_MEASUREMENTS = /* GraphQL */ `mutation RecordMeasurements($number: String!, $m: [MeasurementInput!]!) {
  result: recordMeasurements(number: $number, measurements: $m) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
const CONSUME_MATERIAL = /* GraphQL */ `mutation ConsumeMaterial($number: String!, $lot: String!, $q: Float!) {
  result: consumeMaterial(number: $number, lotNumber: $lot, quantity: $q) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
const COMPLETE_STEP = /* GraphQL */ `mutation CompleteStep($number: String!, $v: SignatureInput) {
  result: completeStep(number: $number, verification: $v) {
    __typename ... on ErrorResult { code message } ... on InvalidInput { field }
  }
}`;
/** What any of them answers. */
type StationMutation =
  | StartOrderMutation
  | ConfirmLineClearanceMutation
  | StartStepMutation
  | RecordMeasurementsMutation
  | ConsumeMaterialMutation
  | CompleteStepMutation;

export function Station({ scope, number, set }: OrderScreenProps) {
  const [choices, setChoices] = useState<{ number: string; state: string }[]>([]);
  useEffect(() => {
    gql<StationOrdersQuery>(ORDERS, { scope })
      .then((d) => setChoices(d.workOrders.edges.map((e) => e.node)))
      .catch(() => setChoices([]));
  }, [scope]);
  return (
    <section class="station" aria-labelledby="station-title">
      <h1 id="station-title">Station</h1>
      <label class="big">
        Work order{' '}
        <select name="order" value={number ?? ''} onChange={(e) => set({ order: e.currentTarget.value })}>
          <option value="">Choose…</option>
          {choices.map((o) => (
            <option key={o.number} value={o.number}>
              {o.number} ({o.state})
            </option>
          ))}
          {number && !choices.some((o) => o.number === number) && <option value={number}>{number}</option>}
        </select>
      </label>
      {number && <StationOrder key={number} number={number} scope={scope} />}
    </section>
  );
}

type Signing = { title: string; meaning: string; run: (s: SignatureInput) => Promise<void> };

function StationOrder({ number, scope }: { number: string; scope: string }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [refusal, setRefusal] = useState('');
  const [notice, setNotice] = useState('');
  const [signing, setSigning] = useState<Signing | null>(null);
  const read = useCallback(() => {
    gql<StationOrderQuery>(ORDER, { number })
      .then((d) => setOrder(d.workOrder))
      .catch((e: Error) => setRefusal(e.message));
  }, [number]);
  useLive(read, ORDER_CHANGES, scope);

  /** Runs a mutation; its refusal (an ErrorResult) is shown in the hub's words. */
  const act = async (document: string, variables: Record<string, unknown>, done?: string) => {
    setRefusal('');
    setNotice('');
    try {
      // Each station mutation names its result `result` (typed in generated/operations.ts, checked here).
      const { result } = await gql<StationMutation>(document, { number, ...variables });
      const refused = inPlainWords(result);
      if (refused) setRefusal(refused);
      else if (done) setNotice(done);
    } catch (e) {
      setRefusal((e as Error).message);
    }
    read();
  };

  if (!order) return <p class="quiet">{refusal || 'Loading…'}</p>;
  const step = order.currentStep;
  const running = step ? order.steps.find((s) => s.segment === step.code && !s.completedAt) : undefined;
  const open = order.deviations.filter((d) => d.state !== 'Closed');
  return (
    <div class="station-order">
      <p>
        <strong>{order.number}</strong> · {order.state}
        {order.lineClearedAt ? ' · line clear' : ''}
      </p>
      {refusal && (
        <p role="alert" class="refusal" data-testid="refusal">
          {refusal}
        </p>
      )}
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {order.state === 'Released' && (
        <button type="button" class="primary big" onClick={() => act(START_ORDER, {})}>
          Start order
        </button>
      )}
      {order.state === 'InProgress' && !order.lineClearedAt && (
        <button
          type="button"
          class="big"
          onClick={() =>
            setSigning({
              title: 'Confirm line clearance',
              meaning: 'Responsibility',
              run: (s) => act(CONFIRM_LINE_CLEARANCE, { s }, 'Line clearance signed.'),
            })
          }
        >
          Confirm line clearance (signed)
        </button>
      )}
      {!step && <p class="quiet">No step left on this order.</p>}
      {step && (
        <article class="step" aria-labelledby="step-title">
          <h2 id="step-title">
            {step.code} · {step.name} {step.critical && <span class="critical">critical: needs a second person</span>}
          </h2>
          <p class="instruction">
            Instruction: <strong>{step.workInstruction ?? 'none pinned'}</strong>
          </p>
          {!running ? (
            <button
              type="button"
              class="primary big"
              disabled={order.state !== 'InProgress'}
              onClick={() => act(START_STEP, {}, 'Step started.')}
            >
              Start step
            </button>
          ) : (
            <>
              <Capture
                parameters={step.parameters}
                recorded={running.measurements}
                onRecord={(measurements) => act(RECORD_MEASUREMENTS, { m: measurements }, 'Values recorded.')}
              />
              <Material
                reservations={order.reservations.filter((r) => r.segment === step.code)}
                onConsume={(lotNumber, quantity) =>
                  act(CONSUME_MATERIAL, { lot: lotNumber, q: quantity }, `Consumed from ${lotNumber}.`)
                }
              />
              <button
                type="button"
                class="primary big"
                onClick={() => {
                  const complete = (v: SignatureInput | null) => act(COMPLETE_STEP, { v }, 'Step completed.');
                  if (step.critical)
                    setSigning({ title: `Verify ${step.code}`, meaning: 'Verification', run: (s) => complete(s) });
                  else void complete(null);
                }}
              >
                Complete step{step.critical ? ' (second signature)' : ''}
              </button>
            </>
          )}
        </article>
      )}
      <section aria-labelledby="deviations-title" class="deviations">
        <h2 id="deviations-title">Open deviations ({open.length})</h2>
        <ul>
          {open.map((d) => (
            <li key={d.id} class={`deviation severity-${d.severity}`} data-testid="deviation">
              <strong>
                {d.kind} · {d.severity}
              </strong>{' '}
              {d.segment && <>({d.segment}) </>}
              {d.description}
            </li>
          ))}
        </ul>
      </section>
      {signing && (
        <SignatureDialog
          title={signing.title}
          meaning={signing.meaning}
          onCancel={() => setSigning(null)}
          onSign={async (s) => {
            await signing.run(s);
            setSigning(null);
          }}
        />
      )}
    </div>
  );
}

function Capture({
  parameters,
  recorded,
  onRecord,
}: {
  parameters: Parameter[];
  recorded: StepRecord['measurements'];
  onRecord: (measurements: { parameter: string; value: number }[]) => void;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  if (parameters.length === 0) return null;
  const submit = (event: Event) => {
    event.preventDefault();
    const measurements = parameters
      .filter((p) => values[p.name]?.trim())
      .map((p) => ({ parameter: p.name, value: Number(values[p.name]) }));
    if (measurements.length) onRecord(measurements);
  };
  return (
    <form class="capture" onSubmit={submit} aria-label="Capture values">
      {parameters.map((p) => {
        const typed = values[p.name] ?? '';
        const value = Number(typed);
        const out = typed.trim() !== '' && Number.isFinite(value) && (value < p.lowerLimit || value > p.upperLimit);
        const last = recorded.filter((m) => m.parameter === p.name).at(-1);
        const id = `capture-${p.name}`;
        return (
          <div key={p.name} class={out ? 'field out' : 'field'}>
            <label for={id}>
              {p.name} <small>{p.unitOfMeasure ?? ''}</small>
            </label>
            <input
              id={id}
              name={p.name}
              inputMode="decimal"
              value={typed}
              aria-invalid={out}
              aria-describedby={`${id}-limits`}
              onInput={(e) => setValues({ ...values, [p.name]: e.currentTarget.value })}
            />
            <span id={`${id}-limits`} class="limits">
              {p.lowerLimit} – {p.upperLimit} (target {p.target}){out && <strong> Out of tolerance</strong>}
            </span>
            {last && (
              <span class={last.withinTolerance ? 'recorded' : 'recorded out'}>
                recorded {last.value}
                {last.withinTolerance ? '' : ' (out of tolerance)'}
              </span>
            )}
          </div>
        );
      })}
      <button type="submit" class="big">
        Record values
      </button>
    </form>
  );
}

function Material({
  reservations,
  onConsume,
}: {
  reservations: Order['reservations'];
  onConsume: (lotNumber: string, quantity: number) => void;
}) {
  if (reservations.length === 0) return null;
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const lot = String(form.get('lot') ?? '').trim();
    const reserved = reservations.find((r) => r.lot.lotNumber === lot);
    const quantity = Number(form.get('quantity') || (reserved ? reserved.quantity - reserved.consumedQuantity : 0));
    if (lot) onConsume(lot, quantity);
  };
  return (
    <form class="material" onSubmit={submit} aria-label="Material">
      <p>
        Reserved:{' '}
        {reservations.map((r) => (
          <span key={r.lot.lotNumber} class="reservation">
            {r.lot.lotNumber} ({r.consumedQuantity} of {r.quantity} used)
          </span>
        ))}
      </p>
      <label>
        Lot number (scan or type)
        <input name="lot" autoComplete="off" />
      </label>
      <label>
        Quantity <input name="quantity" inputMode="decimal" placeholder="what is left reserved" />
      </label>
      <button type="submit" class="big">
        Consume
      </button>
    </form>
  );
}

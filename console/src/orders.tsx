// Orders: the dispatch list of the scope, and for one order its steps, deviations, signatures,
// genealogy and the batch record as a PDF (rendered by the hub, which audits each rendering).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { type Failure, gql } from './api.js';
import { ORDER_CHANGES, type OrderScreenProps, useLive } from './live.js';

type Signature = { printedName: string; meaning: string; act: string | null; signedAt: string };
type Detail = {
  number: string;
  state: string;
  quantity: number;
  unitOfMeasure: string;
  producedLot: string | null;
  equipment: { path: string };
  steps: {
    segment: string;
    operator: string;
    startedAt: string;
    completedAt: string | null;
    signatures: Signature[];
    measurements: { parameter: string; value: number; withinTolerance: boolean }[];
  }[];
  deviations: { id: string; kind: string; severity: string; state: string; description: string }[];
  signatures: Signature[];
  reservations: { segment: string; quantity: number; consumedQuantity: number; lot: { lotNumber: string } }[];
};
type Listed = {
  number: string;
  state: string;
  plannedStart: string | null;
  quantity: number;
  unitOfMeasure: string;
  equipment: { path: string };
};

const LIST = `query Dispatch($scope: String!) {
  workOrders(first: 200, filter: { equipmentPrefix: $scope }) {
    edges { node { number state plannedStart quantity unitOfMeasure equipment { path } } }
  }
}`;
const SIG = 'printedName meaning act signedAt';
const SHORT: Intl.DateTimeFormatOptions = { dateStyle: 'short', timeStyle: 'short' };
const DETAIL = `query OrderDetail($number: String!) {
  workOrder(number: $number) {
    number state quantity unitOfMeasure producedLot equipment { path }
    steps { segment operator startedAt completedAt signatures { ${SIG} } measurements { parameter value withinTolerance } }
    deviations { id kind severity state description }
    signatures { ${SIG} }
    reservations { segment quantity consumedQuantity lot { lotNumber } }
  }
}`;
const GENEALOGY = `query Genealogy($lot: String!) {
  materialLot(lotNumber: $lot) { lotNumber status genealogyInputs { lotNumber via quantity depth } }
}`;

export function Orders({ scope, number }: OrderScreenProps) {
  const [orders, setOrders] = useState<Listed[]>([]);
  const [error, setError] = useState('');
  const read = useCallback(() => {
    gql<{ workOrders: { edges: { node: Listed }[] } }>(LIST, { scope })
      .then((d) =>
        setOrders(
          d.workOrders.edges
            .map((e) => e.node)
            .sort(
              (a, b) => (a.plannedStart ?? '').localeCompare(b.plannedStart ?? '') || a.number.localeCompare(b.number),
            ),
        ),
      )
      .catch((e: Error) => setError(e.message));
  }, [scope]);
  useLive(read, ORDER_CHANGES, scope);
  return (
    <section class="orders-screen" aria-labelledby="orders-title">
      <h1 id="orders-title">Orders · {scope}</h1>
      {error && (
        <p role="alert" class="refusal">
          {error}
        </p>
      )}
      <div class="split">
        <table class="dispatch">
          <caption>Dispatch list</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">State</th>
              <th scope="col">Planned start</th>
              <th scope="col">Quantity</th>
              <th scope="col">Line</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.number} aria-selected={o.number === number}>
                <th scope="row">
                  <a href={`#/orders?scope=${encodeURIComponent(scope)}&order=${encodeURIComponent(o.number)}`}>
                    {o.number}
                  </a>
                </th>
                <td>{o.state}</td>
                <td>{o.plannedStart ? new Date(o.plannedStart).toLocaleString([], SHORT) : '–'}</td>
                <td>
                  {o.quantity} {o.unitOfMeasure}
                </td>
                <td>
                  {o.equipment.path.startsWith(`${scope}/`)
                    ? o.equipment.path.slice(scope.length + 1)
                    : o.equipment.path}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {number && <OrderDetail key={number} number={number} />}
      </div>
    </section>
  );
}

function OrderDetail({ number }: { number: string }) {
  const [order, setOrder] = useState<Detail | null>(null);
  const [genealogy, setGenealogy] = useState<{ lotNumber: string; via: string; quantity: number; depth: number }[]>([]);
  const [pdf, setPdf] = useState<{ url: string; name: string; sha256: string } | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    gql<{ workOrder: Detail | null }>(DETAIL, { number })
      .then((d) => {
        setOrder(d.workOrder);
        const lot = d.workOrder?.producedLot;
        if (lot)
          return gql<{ materialLot: { genealogyInputs: typeof genealogy } | null }>(GENEALOGY, { lot }).then((g) =>
            setGenealogy(g.materialLot?.genealogyInputs ?? []),
          );
      })
      .catch((e: Error) => setMessage(e.message));
  }, [number]);
  useEffect(() => () => pdf && URL.revokeObjectURL(pdf.url), [pdf]);
  const render = async () => {
    setMessage('');
    const { renderBatchRecord: r } = await gql<{
      renderBatchRecord: Failure & { pdfBase64?: string; fileName?: string; sha256?: string };
    }>(
      `mutation Render($number: String!) { renderBatchRecord(number: $number) {
        __typename ... on ErrorResult { code message } ... on BatchRecordDocument { fileName sha256 pdfBase64 } } }`,
      { number },
    );
    if (r.message || !r.pdfBase64) return setMessage(r.message ?? 'No document.');
    const bytes = Uint8Array.from(atob(r.pdfBase64), (c) => c.charCodeAt(0));
    setPdf({
      url: URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' })),
      name: r.fileName!,
      sha256: r.sha256!,
    });
  };
  if (!order) return <p class="quiet">{message || 'Loading…'}</p>;
  const signature = (s: Signature) => (
    <li key={`${s.signedAt}${s.printedName}`}>
      {s.printedName} · {s.meaning}
      {s.act ? ` (${s.act})` : ''} · {new Date(s.signedAt).toLocaleString()}
    </li>
  );
  return (
    <article class="order-detail" aria-labelledby="order-title">
      <h2 id="order-title">
        {order.number} · {order.state}
      </h2>
      <p>
        {order.quantity} {order.unitOfMeasure} on {order.equipment.path}
        {order.producedLot && <> · produced lot {order.producedLot}</>}
      </p>
      <h3>Steps</h3>
      <ol>
        {order.steps.map((s) => (
          <li key={s.segment}>
            {s.segment} by {s.operator}, {s.completedAt ? 'done' : 'running'}
            {s.measurements.map((m) => (
              <span key={m.parameter} class={m.withinTolerance ? 'measure' : 'measure out'}>
                {' '}
                {m.parameter} {m.value}
              </span>
            ))}
            <ul>{s.signatures.map(signature)}</ul>
          </li>
        ))}
      </ol>
      <h3>Deviations</h3>
      <ul>
        {order.deviations.length === 0 && <li class="quiet">None.</li>}
        {order.deviations.map((d) => (
          <li key={d.id}>
            {d.kind} · {d.severity} · {d.state}: {d.description}
          </li>
        ))}
      </ul>
      <h3>Signatures on the order</h3>
      <ul>{order.signatures.map(signature)}</ul>
      <h3>Material</h3>
      <ul>
        {order.reservations.map((r) => (
          <li key={`${r.segment}${r.lot.lotNumber}`}>
            {r.segment}: {r.lot.lotNumber}, {r.consumedQuantity} of {r.quantity} consumed
          </li>
        ))}
        {genealogy.map((g) => (
          <li key={`${g.lotNumber}${g.depth}`}>
            {'↳'.repeat(g.depth)} {g.lotNumber} via {g.via} ({g.quantity})
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => void render().catch((e: Error) => setMessage(e.message))}>
        Batch record (PDF)
      </button>
      {pdf && (
        <a href={pdf.url} download={pdf.name}>
          Download {pdf.name} (SHA-256 {pdf.sha256.slice(0, 12)}…)
        </a>
      )}
      {message && (
        <p role="alert" class="refusal">
          {message}
        </p>
      )}
    </article>
  );
}

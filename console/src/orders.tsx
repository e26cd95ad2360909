// Orders: the schedule of the scope (schedule.tsx), its orders, and for one order its steps, deviations, signatures,
// genealogy and the batch record as a PDF (rendered by the hub, which audits each rendering).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { gql } from './api.js';
import type { GenealogyQuery, OrderDetailQuery, OrdersQuery, RenderMutation } from './generated/operations.js';
import { ORDER_CHANGES, type OrderScreenProps, useLive } from './live.js';
import { Schedule } from './schedule.js';

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

const LIST = /* GraphQL */ `query Orders($scope: String!) {
  workOrders(first: 200, filter: { equipmentPrefix: $scope }) {
    edges { node { number state plannedStart quantity unitOfMeasure equipment { path } } }
  }
}`;
const SHORT: Intl.DateTimeFormatOptions = { dateStyle: 'short', timeStyle: 'short' };
const DETAIL = /* GraphQL */ `query OrderDetail($number: String!) {
  workOrder(number: $number) {
    number state quantity unitOfMeasure producedLot equipment { path }
    steps {
      segment operator startedAt completedAt signatures { ...Signed } measurements { parameter value withinTolerance }
    }
    deviations { id kind severity state description }
    signatures { ...Signed }
    reservations { segment quantity consumedQuantity lot { lotNumber } }
  }
}
fragment Signed on ElectronicSignature { printedName meaning act signedAt }`;
const GENEALOGY = /* GraphQL */ `query Genealogy($lot: String!) {
  materialLot(lotNumber: $lot) { lotNumber status genealogyInputs { lotNumber via quantity depth } }
}`;

export function Orders({ scope, number }: OrderScreenProps) {
  const [orders, setOrders] = useState<Listed[]>([]);
  const [error, setError] = useState('');
  const read = useCallback(() => {
    gql<OrdersQuery>(LIST, { scope })
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
      <Schedule scope={scope} />
      <div class="split">
        <table class="dispatch">
          <caption>Orders</caption>
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
    gql<OrderDetailQuery>(DETAIL, { number })
      .then((d) => {
        setOrder(d.workOrder);
        const lot = d.workOrder?.producedLot;
        if (lot)
          return gql<GenealogyQuery>(GENEALOGY, { lot }).then((g) =>
            setGenealogy(g.materialLot?.genealogyInputs ?? []),
          );
      })
      .catch((e: Error) => setMessage(e.message));
  }, [number]);
  useEffect(() => () => pdf && URL.revokeObjectURL(pdf.url), [pdf]);
  /**
   * Opens the batch record: the tab opens at the click (a tab opened after a wait is a blocked
   * pop-up), then shows the PDF the hub rendered for this person (scope-checked, audited) from a blob
   * URL of this page; no URL that works without the sign-in ever exists.
   */
  const open = async () => {
    setMessage('');
    const tab = window.open('', '_blank');
    try {
      const { renderBatchRecord: r } = await gql<RenderMutation>(
        /* GraphQL */ `mutation Render($number: String!) { renderBatchRecord(number: $number) {
          __typename ... on ErrorResult { code message } ... on BatchRecordDocument { fileName sha256 pdfBase64 } } }`,
        { number },
      );
      if (r.__typename !== 'BatchRecordDocument') throw new Error(r.message);
      const bytes = Uint8Array.from(atob(r.pdfBase64), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
      setPdf({ url, name: r.fileName, sha256: r.sha256 });
      if (tab) tab.location.href = url;
    } catch (error) {
      tab?.close();
      setMessage((error as Error).message);
    }
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
      <p>
        <button type="button" onClick={() => void open()}>
          Open batch record (PDF)
        </button>{' '}
        {pdf && (
          <a
            href={pdf.url}
            target="_blank"
            rel="noopener"
            type="application/pdf"
            data-testid="batch-record"
            data-sha256={pdf.sha256}
          >
            {pdf.name} (SHA-256 {pdf.sha256.slice(0, 12)}…)
          </a>
        )}
      </p>
      {message && (
        <p role="alert" class="refusal">
          {message}
        </p>
      )}
    </article>
  );
}

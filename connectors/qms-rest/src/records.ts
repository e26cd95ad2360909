// Inbound: what the QMS decided comes back through the hub's GraphQL as the connector's principal, audited:
// - a nonconformance record the hub sent (its `source.deviationId`): its number, status and closure shown
//   on the deviation (`recordDeviationQmsStatus`), its CAPA linked and, once closed, closed on the deviation
//   (`linkDeviationCapa`, `closeDeviationCapa`); the deviation's own closure stays a signed act in the hub;
// - a lot disposition (Hold, Release, Reject): the lot's status changed with `updateMaterialLot`, the path a
//   person of the quality unit takes, with the QMS's reason, decider and signature in the audited reason.
// A change the hub refuses (a lot an order produced follows the order's review) is a Rejected import with
// the hub's words, readable in `connectorImports` and tried again by `importConnectorRecord`.

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import type { LotDisposition, Nonconformance, QmsClient } from './client.js';
import { advance, type FeedCursor, fresh, START } from './feed.js';

/** The lot status each QMS decision sets. */
export const DECISIONS: Readonly<Record<string, string>> = { Hold: 'OnHold', Release: 'Released', Reject: 'Rejected' };

export const ncReference = (nc: { id: string }) => `nonconformance:${nc.id}`;
export const dispositionReference = (d: { id: string }) => `disposition:${d.id}`;

interface Answer {
  __typename: string;
  code?: string;
  message?: string;
  field?: string;
}
interface DeviationAnswer extends Answer {
  qmsUpdatedAt?: string | null;
  capaReference?: string | null;
  capaClosedAt?: string | null;
}

const R = '__typename ... on ErrorResult { code message } ... on InvalidInput { field }';
const QMS_STATUS = `mutation ($i: RecordDeviationQmsStatusInput!) { r: recordDeviationQmsStatus(input: $i) {
  ${R} ... on Deviation { qmsUpdatedAt capaReference capaClosedAt } } }`;
const LINK_CAPA = `mutation ($i: DeviationCapaInput!) { r: linkDeviationCapa(input: $i) { ${R} } }`;
const CLOSE_CAPA = `mutation ($i: CloseDeviationCapaInput!) { r: closeDeviationCapa(input: $i) {
  ${R} ... on Deviation { capaClosedAt } } }`;
const LOT = `query ($n: String!) { materialLot(lotNumber: $n) { status } }`;
const DISPOSE = `mutation ($n: String!, $i: UpdateMaterialLotInput!) { r: updateMaterialLot(lotNumber: $n, input: $i) {
  ${R} ... on MaterialLot { status } } }`;

interface PollCursor {
  nonconformances: FeedCursor;
  dispositions: FeedCursor;
}

/** One page of each list; `more` while either has more. */
export async function pollQms(client: QmsClient, hub: HubClient, cursor: string | null, pageSize: number) {
  const at: PollCursor = cursor ? JSON.parse(cursor) : { nonconformances: START, dispositions: START };
  const ncs = await client.listNonconformances({
    updatedSince: at.nonconformances.since ?? undefined,
    cursor: at.nonconformances.page,
    limit: pageSize,
  });
  const lots = await client.listDispositions({
    updatedSince: at.dispositions.since ?? undefined,
    cursor: at.dispositions.page,
    limit: pageSize,
  });
  const outcomes: ImportOutcome[] = [];
  for (const nc of fresh(at.nonconformances, ncs)) {
    const outcome = await importNonconformance(hub, nc);
    if (outcome) outcomes.push(outcome);
  }
  for (const disposition of fresh(at.dispositions, lots)) outcomes.push(await importDisposition(hub, disposition));
  const a = advance(at.nonconformances, ncs);
  const b = advance(at.dispositions, lots);
  const next: PollCursor = { nonconformances: a.cursor, dispositions: b.cursor };
  return { cursor: JSON.stringify(next), more: a.more || b.more, outcomes };
}

/** A nonconformance the hub sent, onto its deviation; null for records not raised from the hub. */
export async function importNonconformance(hub: HubClient, nc: Nonconformance): Promise<ImportOutcome | null> {
  const id = nc.source?.system === 'plantgraph' ? nc.source.deviationId : null;
  if (!id) return null;
  const reference = ncReference(nc);
  const closed = nc.closedAt != null;
  const started = Date.now();
  const { r: recorded } = await request<{ r: DeviationAnswer }>(hub, QMS_STATUS, {
    i: { id, reference: nc.number, status: nc.status, closedAt: nc.closedAt, closure: closed ? nc.closure : null },
  });
  if (recorded.__typename !== 'Deviation') return refused(reference, 'deviationId', id, recorded);
  // The hub stamps a change with its clock, which an in-process connector shares; an unchanged record keeps
  // its stamp. (Run elsewhere, a skewed clock may mislabel an outcome, never change what is recorded.)
  let changed = recorded.qmsUpdatedAt != null && Date.parse(recorded.qmsUpdatedAt) >= started;
  const capa = nc.capa;
  if (capa && recorded.capaReference !== capa.reference && !recorded.capaClosedAt) {
    const reason = recorded.capaReference ? `The QMS moved ${nc.number} to CAPA ${capa.reference}.` : null;
    const { r } = await request<{ r: Answer }>(hub, LINK_CAPA, { i: { id, reference: capa.reference, reason } });
    if (r.__typename !== 'Deviation') return refused(reference, 'capa.reference', capa.reference, r);
    changed = true;
  }
  if (capa?.status === 'Closed' && !recorded.capaClosedAt) {
    const closure =
      capa.closure?.trim() || `CAPA ${capa.reference} closed in the QMS on ${capa.closedAt ?? nc.updatedAt}.`;
    const { r } = await request<{ r: Answer }>(hub, CLOSE_CAPA, { i: { id, closure } });
    if (r.__typename !== 'Deviation') return refused(reference, 'capa.status', capa.status, r);
    changed = true;
  }
  return { reference, outcome: changed ? 'Updated' : 'Unchanged', hubReference: `deviation:${id}`, reasons: [] };
}

/** A QMS decision on a lot, as the quality unit would make it in the hub. */
export async function importDisposition(hub: HubClient, d: LotDisposition): Promise<ImportOutcome> {
  const reference = dispositionReference(d);
  const status = DECISIONS[d.decision];
  if (!status)
    return rejected(
      reference,
      'UnknownDecision',
      'decision',
      d.decision,
      `decisions are ${Object.keys(DECISIONS).join(', ')}`,
    );
  const { materialLot: lot } = await request<{ materialLot: { status: string } | null }>(hub, LOT, { n: d.lotNumber });
  if (!lot)
    return rejected(
      reference,
      'NotFound',
      'lotNumber',
      d.lotNumber,
      `The hub shows no lot ${d.lotNumber} to this connector`,
    );
  if (lot.status === status) return { reference, outcome: 'Unchanged', hubReference: d.lotNumber, reasons: [] };
  const signed = d.signature
    ? `; signed in the QMS by ${d.signature.signer} (${d.signature.meaning}) at ${d.signature.signedAt}`
    : '';
  const reason = `QMS disposition ${d.id}: ${d.decision} by ${d.decidedBy} at ${d.decidedAt}${signed}. ${d.reason}`;
  const { r } = await request<{ r: Answer }>(hub, DISPOSE, {
    n: d.lotNumber,
    i: { status, reason: reason.slice(0, 1000) },
  });
  if (r.__typename !== 'MaterialLot') return refused(reference, 'lotNumber', d.lotNumber, r);
  return { reference, outcome: 'Updated', hubReference: d.lotNumber, reasons: [] };
}

/** The hub refused: its code and its own words, named by the QMS field. */
function refused(reference: string, field: string, value: string, answer: Answer): ImportOutcome {
  return rejected(reference, answer.code ?? answer.__typename, field, value, answer.message ?? 'refused by the hub');
}

function rejected(reference: string, code: string, field: string, value: string, message: string): ImportOutcome {
  return { reference, outcome: 'Rejected', reasons: [{ code, field, value, message }] };
}

// Outbound on `EquipmentStateChanged` of a mapped asset, read back from the hub's state history:
// - leaving Down after at least `breakdownMinutes`: one work request with the downtime reason;
// - leaving Running (a run ends): the runtime-hours and cycle-count meters get one reading each, dated at
//   the change. A reading's value is the meter's previous reading plus the hub's `equipmentUsage` from that
//   reading to the change (time in Running, breaks and off-shift runs included), so readings entered by hand in
//   MaintainX (a meter reset) are carried on. MaintainX readings have no external reference field: the
//   reading's date (the change's time, the same on every retry) is the key read back before posting.

import {
  ConnectorError,
  type DeliveryResult,
  type HubClient,
  type OutboundDelivery,
  request,
} from '@plantgraph/connector-sdk';
import type { MaintainXClient, MaintainXMeterReading } from './client.js';
import type { AssetMapping } from './mapping.js';
import { sendWorkRequest, skipped, type WorkRequestSettings } from './work-requests.js';

export interface StateChangeSettings extends WorkRequestSettings {
  /** 0: breakdowns are not sent. */
  breakdownMinutes: number;
  /** A meter read more recently than this is not read again (0: at every run's end). */
  meterMinIntervalMinutes: number;
}

interface StateChange {
  id: string;
  state: string;
  previousState: string | null;
  reason: string | null;
  at: string;
  applied: boolean;
}

const HISTORY = `query ($path: String!, $after: String) { equipment(path: $path) {
  stateHistory(first: 100, after: $after) { edges { node { id state previousState reason at applied } }
  pageInfo { hasNextPage endCursor } } } }`;
const HISTORY_PAGES = 20;

/** The change `id` and the applied change before it (newest first in the history). */
async function changeAndPrior(hub: HubClient, path: string, id: string) {
  let after: string | null = null;
  let change: StateChange | undefined;
  for (let i = 0; i < HISTORY_PAGES; i++) {
    const data: {
      equipment: {
        stateHistory: { edges: { node: StateChange }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } | null;
    } = await request(hub, HISTORY, { path, after });
    if (!data.equipment) return null;
    const nodes = data.equipment.stateHistory.edges.map((e) => e.node);
    for (const node of nodes) {
      if (change && node.applied) return { change, prior: node };
      if (node.id === id) change = node;
    }
    const { hasNextPage, endCursor } = data.equipment.stateHistory.pageInfo;
    if (!hasNextPage) return change ? { change, prior: null } : null;
    after = endCursor;
  }
  return change ? { change, prior: null } : null;
}

export async function deliverStateChange(
  client: MaintainXClient,
  hub: HubClient,
  settings: StateChangeSettings,
  asset: AssetMapping | undefined,
  d: OutboundDelivery,
): Promise<DeliveryResult> {
  if (!asset) return skipped(`${d.event.path} is not a mapped asset`);
  const found = await changeAndPrior(hub, asset.equipment, d.event.key);
  if (!found) throw new ConnectorError({ kind: 'permanent', message: `The hub shows no state change ${d.event.key}.` });
  const { change, prior } = found;
  if (change.previousState === 'Down') {
    if (!settings.breakdownMinutes) return skipped('breakdowns are not sent (breakdownMinutes 0)');
    const since = prior?.at ?? change.at;
    const minutes = (Date.parse(change.at) - Date.parse(since)) / 60_000;
    if (minutes < settings.breakdownMinutes)
      return skipped(`down ${minutes.toFixed(1)} min, shorter than ${settings.breakdownMinutes} min`);
    const reason = prior?.reason ?? 'no reason given';
    return sendWorkRequest(client, settings, d, {
      asset,
      title: `Breakdown of ${asset.equipment}: ${Math.round(minutes)} min down (${reason})`,
      reason,
      link: `plantgraph:equipment/${asset.equipment}?stateChange=${change.id}`,
      lines: [`Down from ${since} to ${change.at} (${minutes.toFixed(1)} min)`],
    });
  }
  if (change.previousState === 'Running') return sendReadings(client, hub, settings, asset, change.at);
  return skipped(`a change from ${change.previousState ?? 'nothing'} to ${change.state} sends nothing`);
}

/** Usage counts breaks and time outside the shifts too: a machine wears whenever it runs. */
const USAGE = `query ($scope: String!, $from: DateTimeISO!, $to: DateTimeISO!) {
  equipmentUsage(scope: $scope, from: $from, to: $to) { path runningTime producedQuantity } }`;
/** Usage, like OEE, answers for at most 93 days at a time. */
const USAGE_WINDOW_MS = 93 * 86_400_000 - 60_000;

async function sendReadings(
  client: MaintainXClient,
  hub: HubClient,
  settings: StateChangeSettings,
  asset: AssetMapping,
  at: string,
): Promise<DeliveryResult> {
  const meters = (Object.entries(asset.meters ?? {}) as ['runtimeHours' | 'cycleCount', number][]).sort(
    (a, b) => a[1] - b[1],
  );
  if (!meters.length) return skipped(`${asset.equipment} has no meters`);
  const atMs = Date.parse(at);
  const reference = `meterreadings/${meters.map(([, id]) => id).join(',')}@${at}`;
  const readings: { meterId: number; value: number; date: string }[] = [];
  let held = 0;
  for (const [measure, meterId] of meters) {
    const { same, previous } = await readingsAround(client, meterId, atMs);
    if (same) {
      held++;
      continue;
    }
    if (previous && atMs - Date.parse(previous.date) < settings.meterMinIntervalMinutes * 60_000) continue;
    const from = new Date(Math.max(previous ? Date.parse(previous.date) : 0, atMs - USAGE_WINDOW_MS)).toISOString();
    const { equipmentUsage } = await request<{
      equipmentUsage: { path: string; runningTime: number; producedQuantity: number }[];
    }>(hub, USAGE, { scope: asset.equipment, from, to: at });
    const row = equipmentUsage.find((r) => r.path === asset.equipment);
    const added = measure === 'runtimeHours' ? (row?.runningTime ?? 0) / 3600 : (row?.producedQuantity ?? 0);
    const value = Math.round(((previous?.value ?? 0) + added) * 1000) / 1000;
    readings.push({ meterId, value, date: new Date(atMs).toISOString() });
  }
  if (!readings.length) {
    if (held) return { externalReference: reference, reconciled: true };
    return skipped('meters read less than meterMinIntervalMinutes ago');
  }
  await client.createReadings(readings);
  return { externalReference: reference, reconciled: held > 0 };
}

/** The meter's reading dated exactly `atMs` (sent before), and the newest one before it. */
async function readingsAround(client: MaintainXClient, meterId: number, atMs: number) {
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page = await client.listReadings(meterId, cursor, 50);
    for (const r of page.meterReadings) {
      const t = Date.parse(r.date);
      if (t === atMs) return { same: r, previous: undefined };
      if (t < atMs) return { same: undefined, previous: r as MaintainXMeterReading };
    }
    if (!page.nextCursor) return { same: undefined, previous: undefined };
    cursor = page.nextCursor;
  }
  return { same: undefined, previous: undefined };
}

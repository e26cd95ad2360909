// A lot's sublots as V0701 `MaterialSubLot` elements inside its `MaterialLot`: `ID` the sublot number,
// `Status` the hub's status with the matching `Disposition`, `StorageLocation` the equipment path and
// `Quantity` in the lot's unit. The hub creates sublots but never changes one: a sublot it does not hold
// is created, one it holds as sent is Unchanged, one that differs is a Conflict naming the field. The
// hub's sublots are flat (`MaterialSubLotChild` and assembly sublots are refused).

import { type HubClient, type ImportOutcome, request } from '@plantgraph/connector-sdk';
import { type Answer, hubRefusal } from './equipment.js';
import { child, children, text, type XmlNode, type XmlOut } from './xml.js';

type Reason = ImportOutcome['reasons'][number];

export interface HubSublot {
  sublotNumber: string;
  quantity: number;
  status: string;
  location: { path: string } | null;
}

export const SUBLOT_FIELDS = 'sublots { sublotNumber quantity status location { path } }';

export function sublotsOut(sublots: HubSublot[], unit: string, disposition: (status: string) => string): XmlOut[] {
  return sublots.map((s) => ({
    ID: s.sublotNumber,
    Status: s.status,
    Disposition: disposition(s.status),
    StorageLocation: s.location ? { Location: s.location.path, LocationType: 'Equipment' } : undefined,
    Quantity: { QuantityString: String(s.quantity), DataType: 'double', UnitOfMeasure: unit },
  }));
}

export interface SublotRecord {
  at: string;
  sublotNumber: string;
  quantity: number;
  status: string | undefined;
  location: string | null;
  problems: Reason[];
}

/** The sublots of one MaterialLot element, with the problems that keep each from being imported. */
export function sublotsIn(lot: XmlNode, at: string, statusOf: (disposition: string) => string | undefined) {
  return children(lot, 'MaterialSubLot').map((node, i): SublotRecord => {
    const path = `${at}/MaterialSubLot[${i + 1}]`;
    const problems: Reason[] = [];
    for (const element of ['MaterialSubLotChild', 'AssemblyLot', 'AssemblySubLot'])
      if (children(node, element).length)
        problems.push({
          code: 'SublotHierarchy',
          field: `${path}/${element}`,
          message: `${path}/${element}: the hub's sublots are flat; send each sublot directly under its lot`,
        });
    const quantityNode = child(node, 'Quantity');
    const raw = text(quantityNode, 'QuantityString');
    const quantity = Number(raw);
    if (raw === undefined || !Number.isFinite(quantity) || quantity < 0)
      problems.push({
        code: 'InvalidQuantity',
        field: `${path}/Quantity/QuantityString`,
        value: raw,
        message: `${path}/Quantity/QuantityString must be a number, zero or more`,
      });
    const location = child(node, 'StorageLocation');
    if (location && text(location, 'LocationType') !== 'Equipment')
      problems.push({
        code: 'Location',
        field: `${path}/StorageLocation/LocationType`,
        message: `${path}/StorageLocation/LocationType must be Equipment (a hub equipment path)`,
      });
    return {
      at: path,
      sublotNumber: text(node, 'ID')!,
      quantity,
      status: text(node, 'Status') ?? statusOf(text(node, 'Disposition') ?? ''),
      location: text(location, 'Location') ?? null,
      problems,
    };
  });
}

const CREATE = `mutation ($i: CreateMaterialSublotInput!) { r: createMaterialSublot(input: $i) {
  __typename ... on ErrorResult { code message } } }`;

/**
 * The sublots of a lot the hub holds (`held`, by number): created when missing, one outcome each with the
 * reference `<lot>/<sublot>`. With `changeOnly` a sublot the hub does not hold is refused.
 */
export async function importSublots(
  hub: HubClient,
  lotNumber: string,
  records: SublotRecord[],
  held: HubSublot[],
  changeOnly: boolean,
): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = [];
  const byNumber = new Map(held.map((s) => [s.sublotNumber, s]));
  for (const r of records) {
    const reference = `${lotNumber}/${r.sublotNumber}`;
    const done = (outcome: ImportOutcome['outcome'], reasons: Reason[] = []) =>
      outcomes.push({ reference, outcome, hubReference: reference, reasons });
    if (r.problems.length) {
      done('Rejected', r.problems);
      continue;
    }
    const existing = byNumber.get(r.sublotNumber);
    if (existing) {
      const differs = [
        existing.quantity !== r.quantity && `Quantity ${r.quantity} (the hub holds ${existing.quantity})`,
        r.status && existing.status !== r.status && `Status ${r.status} (the hub holds ${existing.status})`,
        (existing.location?.path ?? null) !== r.location &&
          `StorageLocation ${r.location ?? 'none'} (the hub holds ${existing.location?.path ?? 'none'})`,
      ].filter(Boolean);
      if (differs.length)
        done('Conflict', [
          {
            code: 'SublotDiffers',
            field: r.at,
            message: `${r.at}: the hub never changes a sublot once created; it differs in ${differs.join(', ')}`,
          },
        ]);
      else done('Unchanged');
      continue;
    }
    if (changeOnly) {
      done('Rejected', [
        {
          code: 'NotFound',
          field: `${r.at}/ID`,
          message: `${r.at}/ID: the hub holds no sublot ${reference}; send ProcessMaterialLot to create it`,
        },
      ]);
      continue;
    }
    const input = { sublotNumber: r.sublotNumber, lot: lotNumber, quantity: r.quantity, location: r.location };
    const answer = (
      await request<{ r: Answer }>(hub, CREATE, { i: { ...input, ...(r.status ? { status: r.status } : {}) } })
    ).r;
    const refused = hubRefusal(answer, 'MaterialSublot', r.at);
    done(refused ? 'Rejected' : 'Created', refused ? [refused] : []);
  }
  return outcomes;
}

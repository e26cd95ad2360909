// What the simulated MaintainX organisation holds: assets, meters with their readings, and work orders
// with MaintainX's statuses, categories, due dates and `externalData`. Every change moves `updatedAt`
// forward (never back, never twice the same millisecond), so a poll by `updatedAt` sees each change, and
// is told to the listener (the webhook sender).

export type WorkOrderStatus = 'OPEN' | 'IN_PROGRESS' | 'ON_HOLD' | 'DONE';
export const STATUSES: readonly WorkOrderStatus[] = ['OPEN', 'IN_PROGRESS', 'ON_HOLD', 'DONE'];

export interface SimWorkOrder {
  id: number;
  title: string;
  description: string | null;
  status: WorkOrderStatus;
  priority: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
  assetId: number | null;
  categories: string[];
  dueDate: string | null;
  externalData: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export interface SimAsset {
  id: number;
  name: string;
}

export interface SimMeter {
  id: number;
  assetId: number;
  name: string;
  unit: string;
}

export interface SimMeterReading {
  id: number;
  meterId: number;
  value: number;
  date: string;
  createdAt: string;
}

export type NewWorkOrder = Partial<Omit<SimWorkOrder, 'id' | 'createdAt' | 'updatedAt' | 'completedAt'>> & {
  title: string;
};

/** Told of every work order change; `skipWebhook` when the API call asked for no webhook. */
export type WorkOrderListener = (
  type: 'NEW_WORK_ORDER' | 'WORK_ORDER_CHANGE',
  order: SimWorkOrder,
  skipWebhook: boolean,
) => void;

export class SimStore {
  onWorkOrderChange: WorkOrderListener = () => undefined;
  readonly assets = new Map<number, SimAsset>();
  readonly meters = new Map<number, SimMeter>();
  readonly workOrders = new Map<number, SimWorkOrder>();
  readonly readings: SimMeterReading[] = [];
  private nextId = 1000;
  private lastStamp = 0;

  /** A strictly increasing timestamp: two changes never share an `updatedAt`. */
  stamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  addAsset(id: number, name: string): SimAsset {
    const asset = { id, name };
    this.assets.set(id, asset);
    return asset;
  }

  addMeter(id: number, assetId: number, name: string, unit: string): SimMeter {
    if (!this.assets.has(assetId)) throw new Error(`no asset ${assetId}`);
    const meter = { id, assetId, name, unit };
    this.meters.set(id, meter);
    return meter;
  }

  createWorkOrder(input: NewWorkOrder, skipWebhook = false): SimWorkOrder {
    const at = this.stamp();
    const order: SimWorkOrder = {
      id: ++this.nextId,
      title: input.title,
      description: input.description ?? null,
      status: input.status ?? 'OPEN',
      priority: input.priority ?? 'NONE',
      assetId: input.assetId ?? null,
      categories: input.categories ?? [],
      dueDate: input.dueDate ?? null,
      externalData: input.externalData ?? null,
      createdAt: at,
      updatedAt: at,
      completedAt: input.status === 'DONE' ? at : null,
    };
    this.workOrders.set(order.id, order);
    this.onWorkOrderChange('NEW_WORK_ORDER', order, skipWebhook);
    return order;
  }

  updateWorkOrder(id: number, change: Partial<NewWorkOrder>, skipWebhook = false): SimWorkOrder | undefined {
    const order = this.workOrders.get(id);
    if (!order) return undefined;
    Object.assign(order, change, { updatedAt: this.stamp() });
    order.completedAt = order.status === 'DONE' ? (order.completedAt ?? order.updatedAt) : null;
    this.onWorkOrderChange('WORK_ORDER_CHANGE', order, skipWebhook);
    return order;
  }

  addReadings(inputs: { meterId: number; value: number; date: string }[]): SimMeterReading[] {
    return inputs.map((r) => {
      const reading = { id: ++this.nextId, meterId: r.meterId, value: r.value, date: r.date, createdAt: this.stamp() };
      this.readings.push(reading);
      return reading;
    });
  }
}

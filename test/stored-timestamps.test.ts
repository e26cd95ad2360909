import { afterEach, describe, expect, it, vi } from 'vitest';
import { EquipmentConditionRecord, WorkOrder } from '@plantgraph/schema';

/** A clock that moves on by a millisecond at every reading, as a busy machine's may between two. */
class TickingDate extends Date {
  static at = Date.now();
  constructor(...args: ConstructorParameters<typeof Date>) {
    if (args.length) super(...args);
    else super(TickingDate.at++);
  }
}

describe('the timestamps of a new stored object', () => {
  afterEach(() => vi.unstubAllGlobals());

  // The MaintainX connector reports a condition record it created as Created by createdAt === updatedAt;
  // two readings of the clock straddled a millisecond for about 1 in 100 records, and it said Updated.
  it('its updatedAt is its createdAt, even when the clock ticks between them', () => {
    vi.stubGlobal('Date', TickingDate);
    for (const made of [new EquipmentConditionRecord(), new WorkOrder()]) {
      expect(made.updatedAt).not.toBe(made.createdAt); // its own Date object, changed on its own
      expect(made.updatedAt.getTime()).toBe(made.createdAt.getTime());
    }
  });
});

import { describe, expect, it } from 'vitest';
import { JobOrderState, WorkOrderState } from '@plantgraph/schema';
import { configFromEnv, hubStatesShownAs, JobControlRefusal, planJobOrder } from '@plantgraph/hub';

const LINE = 'acme/berlin/assembly/line-1';
const job = (more: Record<string, unknown> = {}) => ({
  jobOrderID: ' JC-9 ',
  workMasterID: [{ ID: 'PD-BRACKET-A' }],
  startTime: new Date('2027-01-01T06:00:00Z'),
  endTime: new Date('1601-01-01T00:00:00Z'), // node-opcua's "no date"
  materialRequirements: [{ materialDefinitionID: 'FG', materialUse: 'Produced', quantity: '250.5' }],
  equipmentRequirements: [
    { ID: `${LINE}/press-1`, equipmentUse: '10-stamp' },
    { ID: `${LINE}/welder-1`, equipmentUse: '20-weld' },
  ],
  personnelRequirements: [
    { ID: 'E1001', personnelUse: '10-stamp' },
    { ID: 'E1002', personnelUse: '10-stamp' },
  ],
  ...more,
});
const refusal = (value: unknown) => {
  expect(value).toBeInstanceOf(JobControlRefusal);
  const r = value as JobControlRefusal;
  return `${r.status}: ${r.message}`;
};

describe('a Job Control job order as a hub work order', () => {
  it('maps the work master, the Produced quantity, the times and the requirements per segment', () => {
    expect(planJobOrder(job(), LINE)).toEqual({
      order: {
        number: 'JC-9',
        externalReference: 'opcua-job-control:JC-9',
        productDefinition: 'PD-BRACKET-A',
        quantity: 250.5,
        equipment: LINE,
        plannedStart: '2027-01-01T06:00:00.000Z',
      },
      assignments: [
        { segment: '10-stamp', equipment: `${LINE}/press-1`, operators: ['E1001', 'E1002'] },
        { segment: '20-weld', equipment: `${LINE}/welder-1`, operators: [] },
      ],
    });
  });

  it('takes a Quantity parameter and a work master Version instead', () => {
    const plan = planJobOrder(
      job({
        materialRequirements: [],
        jobOrderParameters: [{ ID: 'Quantity', value: { value: 40 } }],
        workMasterID: [{ ID: 'PD-BRACKET-A', parameters: [{ ID: 'Version', value: { value: 2 } }] }],
      }),
      LINE,
    );
    expect(plan).toMatchObject({ order: { quantity: 40, version: 2 } });
  });

  it('refuses what the hub cannot keep, saying what to change', () => {
    expect(refusal(planJobOrder(job({ jobOrderID: '  ' }), LINE))).toMatch(/^BadInvalidArgument: JobOrderID is empty/);
    expect(refusal(planJobOrder(job({ workMasterID: [] }), LINE))).toMatch(
      /^BadInvalidArgument: WorkMasterID: give exactly one/,
    );
    expect(refusal(planJobOrder(job({ priority: 2 }), LINE))).toMatch(/^BadNotSupported: Priority/);
    expect(refusal(planJobOrder(job({ physicalAssetRequirements: [{}] }), LINE))).toMatch(
      /^BadNotSupported: PhysicalAsset/,
    );
    const consumed = { materialDefinitionID: 'RM-COIL', materialUse: 'Consumed', quantity: '3' };
    expect(
      refusal(planJobOrder(job({ materialRequirements: [...job().materialRequirements, consumed] }), LINE)),
    ).toMatch(/^BadNotSupported: MaterialRequirements: only the Produced material .* "RM-COIL"/);
    expect(refusal(planJobOrder(job({ materialRequirements: [] }), LINE))).toMatch(/Give the quantity once/);
    const zero = [{ materialUse: 'Produced', quantity: '0' }];
    expect(refusal(planJobOrder(job({ materialRequirements: zero }), LINE))).toMatch(/"0" is not a positive number/);
    const twice = [{ ID: `${LINE}/press-2`, equipmentUse: '10-stamp' }, ...job().equipmentRequirements];
    expect(refusal(planJobOrder(job({ equipmentRequirements: twice }), LINE))).toMatch(
      /Segment "10-stamp": give exactly one EquipmentRequirement \(got 2\)/,
    );
    const unnamed = [{ ID: 'E1001' }];
    expect(refusal(planJobOrder(job({ personnelRequirements: unnamed }), LINE))).toMatch(
      /name the segment in PersonnelUse/,
    );
  });

  it('finds hub states by the one job-control mapping', () => {
    expect(hubStatesShownAs([JobOrderState.Ended])).toEqual([
      WorkOrderState.Completed,
      WorkOrderState.UnderReview,
      WorkOrderState.ReleasedToStock,
      WorkOrderState.Rejected,
    ]);
    expect(hubStatesShownAs([JobOrderState.Running, JobOrderState.Interrupted])).toEqual([
      WorkOrderState.InProgress,
      WorkOrderState.Paused,
    ]);
  });
});

describe('PLANTGRAPH_OPCUA_PORT', () => {
  it('is off unless set, a port when set, and refused with the setting named when not a port', () => {
    expect(configFromEnv({}).opcuaPort).toBeNull();
    expect(configFromEnv({ PLANTGRAPH_OPCUA_PORT: '' }).opcuaPort).toBeNull();
    expect(configFromEnv({ PLANTGRAPH_OPCUA_PORT: '4840' }).opcuaPort).toBe(4840);
    expect(() => configFromEnv({ PLANTGRAPH_OPCUA_PORT: '70000' })).toThrow(
      'PLANTGRAPH_OPCUA_PORT must be a port number (0-65535), got "70000".',
    );
    expect(() => configFromEnv({ PLANTGRAPH_OPCUA_PORT: 'opc' })).toThrow(/PLANTGRAPH_OPCUA_PORT must be an integer/);
  });
});

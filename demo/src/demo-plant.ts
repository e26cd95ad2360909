import {
  Equipment,
  EquipmentLevel,
  LotSelection,
  MaterialLotStatus,
  MaterialUse,
  PropertyDataType,
} from '@plantgraph/schema';
import { type Database, type DomainFailure, isFailure, Principal, type Services } from '@plantgraph/hub';
import { activateFirstVersion, seedDemoScheduling } from './demo-scheduling.js';
import { seedDemoPlanning } from './demo-planning.js';

const ACTOR = Principal.system('demo-seed');
const L = EquipmentLevel;
const DAY = 86_400_000;

/** A mid-sized discrete plant: enterprise `acme`, site `berlin`, two areas, three lines, 12 machines. */
const HIERARCHY: [
  parent: string | null,
  code: string,
  name: string,
  level: EquipmentLevel,
  equipmentClass?: string,
  properties?: { name: string; value: number | string }[],
][] = [
  [null, 'acme', 'Acme Manufacturing', L.Enterprise],
  ['acme', 'berlin', 'Berlin plant', L.Site],
  ['acme/berlin', 'assembly', 'Assembly hall', L.Area],
  ['acme/berlin', 'packaging', 'Packaging hall', L.Area],
  ['acme/berlin/assembly', 'line-1', 'Bracket line 1', L.ProductionLine],
  ['acme/berlin/assembly', 'line-2', 'Bracket line 2', L.ProductionLine],
  ['acme/berlin/assembly', 'store-1', 'Raw material store', L.StorageZone],
  ['acme/berlin/packaging', 'line-3', 'Packing line 3', L.ProductionLine],
  [
    'acme/berlin/assembly/line-1',
    'press-1',
    'Press 1',
    L.WorkCell,
    'hydraulic-press',
    [{ name: 'tonnage', value: 250 }],
  ],
  [
    'acme/berlin/assembly/line-1',
    'press-2',
    'Press 2',
    L.WorkCell,
    'hydraulic-press',
    [{ name: 'tonnage', value: 250 }],
  ],
  ['acme/berlin/assembly/line-1', 'robot-1', 'Handling robot 1', L.WorkCell, 'robot'],
  ['acme/berlin/assembly/line-1', 'welder-1', 'Spot welder 1', L.WorkCell, 'spot-welder'],
  [
    'acme/berlin/assembly/line-2',
    'press-3',
    'Press 3',
    L.WorkCell,
    'hydraulic-press',
    [{ name: 'tonnage', value: 400 }],
  ],
  ['acme/berlin/assembly/line-2', 'assembler-1', 'Assembly station 1', L.WorkCell, 'assembly-station'],
  ['acme/berlin/assembly/line-2', 'tester-1', 'End-of-line tester 1', L.WorkCell, 'test-station'],
  ['acme/berlin/packaging/line-3', 'filler-1', 'Box filler 1', L.WorkCell, 'packer'],
  ['acme/berlin/packaging/line-3', 'labeler-1', 'Labeler 1', L.WorkCell, 'labeler'],
  ['acme/berlin/packaging/line-3', 'inspector-1', 'Vision inspector 1', L.WorkCell, 'test-station'],
  ['acme/berlin/packaging/line-3', 'wrapper-1', 'Stretch wrapper 1', L.WorkCell, 'packer'],
  ['acme/berlin/packaging/line-3', 'palletizer-1', 'Palletizer 1', L.WorkCell, 'robot'],
];

/** Levels the simulator drives: the machines. */
export const DEMO_MACHINE_LEVEL = L.WorkCell;

/** Seeds the demo plant through the same services (and checks) as the API. Returns false if present. */
export async function seedDemoPlant(services: Services, db: Database): Promise<boolean> {
  if (await db.em.fork().count(Equipment, { path: 'acme' })) return false;

  for (const [code, description, seconds, properties] of [
    [
      'hydraulic-press',
      'Hydraulic stamping press',
      6,
      [{ name: 'tonnage', dataType: PropertyDataType.Decimal, unitOfMeasure: 't', required: true }],
    ],
    ['robot', 'Six-axis handling robot', 4, []],
    ['spot-welder', 'Resistance spot welder', 8, []],
    ['assembly-station', 'Manual assembly station', 30, []],
    ['test-station', 'Automated test or inspection station', 10, []],
    ['packer', 'Packing machine', 3, []],
    ['labeler', 'Label printer-applicator', 2, []],
  ] as const) {
    must(
      await services.equipmentClass.create(ACTOR, {
        code,
        description,
        idealCycleTimeSeconds: seconds,
        properties: properties.map((p) => ({ ...p })),
      }),
    );
  }
  for (const [parentPath, code, name, level, equipmentClass, properties] of HIERARCHY) {
    must(
      await services.equipment.create(ACTOR, {
        parentPath,
        code,
        name,
        level,
        equipmentClass,
        properties: properties ?? [],
      }),
    );
  }

  must(
    await services.oee.setCalendar(ACTOR, {
      scope: 'acme/berlin',
      timeZone: 'Europe/Berlin',
      microstopThresholdSeconds: 120,
      shifts: [
        { name: 'Early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', end: '10:30' }] },
        { name: 'Late', start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:30' }] },
        { name: 'Night', start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30' }] },
      ],
    }),
  );
  must(
    await services.materialClass.create(ACTOR, {
      code: 'sheet-metal',
      description: 'Coil and sheet steel',
      properties: [{ name: 'thicknessMm', dataType: PropertyDataType.Decimal, unitOfMeasure: 'mm', required: true }],
    }),
  );
  must(
    await services.materialClass.create(ACTOR, {
      code: 'fastener',
      description: 'Bolts, nuts, rivets',
      properties: [],
    }),
  );
  must(
    await services.materialClass.create(ACTOR, {
      code: 'finished-good',
      description: 'Sellable products',
      properties: [],
    }),
  );
  for (const [code, name, materialClass, unitOfMeasure, properties] of [
    ['STEEL-COIL-2MM', 'Steel coil DC04, 2 mm', 'sheet-metal', 'kg', [{ name: 'thicknessMm', value: 2 }]],
    ['BOLT-M8', 'Hex bolt M8x20, zinc plated', 'fastener', 'pcs', []],
    ['BRACKET-A', 'Mounting bracket A', 'finished-good', 'pcs', []],
  ] as const) {
    must(
      await services.material.createDefinition(ACTOR, {
        code,
        name,
        materialClass,
        unitOfMeasure,
        properties: properties.map((p) => ({ ...p })),
      }),
    );
  }
  const now = Date.now();
  for (const [lotNumber, materialDefinition, quantity, status, expiresInDays, properties] of [
    ['L-COIL-0001', 'STEEL-COIL-2MM', 5200, MaterialLotStatus.Released, 365, [{ name: 'thicknessMm', value: 2.01 }]],
    ['L-COIL-0002', 'STEEL-COIL-2MM', 4800, MaterialLotStatus.OnHold, 365, [{ name: 'thicknessMm', value: 2.08 }]],
    ['L-BOLT-0107', 'BOLT-M8', 20000, MaterialLotStatus.Released, 720, []],
    ['L-BOLT-0099', 'BOLT-M8', 1500, MaterialLotStatus.Released, -3, []],
  ] as const) {
    must(
      await services.material.createLot(ACTOR, {
        lotNumber,
        materialDefinition,
        quantity,
        status,
        expiresAt: new Date(now + expiresInDays * DAY),
        location: 'acme/berlin/assembly/store-1',
        properties: properties.map((p) => ({ ...p })),
      }),
    );
  }
  must(
    await services.material.createSublot(ACTOR, { sublotNumber: 'L-BOLT-0107-B1', lot: 'L-BOLT-0107', quantity: 5000 }),
  );

  for (const [code, description] of [
    ['operator', 'Machine operator'],
    ['supervisor', 'Shift supervisor'],
    ['quality', 'Quality unit (inspection, review, release)'],
    ['engineer', 'Process engineer (master records)'],
  ]) {
    must(await services.personnelClass.create(ACTOR, { code: code!, description, properties: [] }));
  }
  for (const [employeeId, name, personnelClasses, home, qualifications] of [
    [
      'E1001',
      'Ana Ruiz',
      ['operator'],
      'acme/berlin/assembly',
      [
        ['press-setup', 300],
        ['spot-welding', 200],
      ],
    ],
    ['E1002', 'Ben Okafor', ['operator'], 'acme/berlin/assembly', [['press-setup', -10]]],
    [
      'E1003',
      'Chen Li',
      ['supervisor', 'operator'],
      'acme/berlin',
      [
        ['press-setup', 500],
        ['line-clearance', 500],
      ],
    ],
    // The inspector performs final inspection, so she may not also release the batch she inspected.
    ['E2001', 'Dana Weiss', ['quality', 'operator'], 'acme/berlin', [['final-inspection', 400]]],
    ['E2002', 'Emil Novak', ['operator'], 'acme/berlin/packaging', [['packing', 250]]],
    // Quality assurance for the enterprise: releases batches to stock and approves master records.
    ['E2003', 'Ines Moreau', ['quality'], 'acme', []],
    // Engineers write and review master records (product definitions).
    ['E3001', 'Jonas Berg', ['engineer'], 'acme', []],
    ['E3002', 'Kai Schmidt', ['engineer'], 'acme', []],
  ] as const) {
    must(
      await services.personnel.createPerson(ACTOR, {
        employeeId,
        name,
        personnelClasses: [...personnelClasses],
        homeEquipment: home,
      }),
    );
    for (const [code, validDays] of qualifications) {
      must(
        await services.personnel.recordQualification(ACTOR, {
          employeeId,
          code,
          trainedAt: new Date(now - 30 * DAY),
          expiresAt: new Date(now + validDays * DAY),
        }),
      );
    }
  }

  const definition = must(
    await services.productDefinition.create(ACTOR, {
      code: 'PD-BRACKET-A',
      name: 'Mounting bracket A',
      producedMaterial: 'BRACKET-A',
      changeNote: 'First release',
      // 95–102 % of the planned quantity; outside it, completion opens a deviation for quality.
      yieldBracket: { minPercent: 95, maxPercent: 102 },
      segments: [
        {
          code: '10-stamp',
          name: 'Stamp blank',
          workInstruction: 'WI-104 rev C',
          equipmentClass: 'hydraulic-press',
          qualification: 'press-setup',
          critical: false,
          durationMinutes: 1,
          materials: [
            {
              materialDefinition: 'STEEL-COIL-2MM',
              use: MaterialUse.Consumed,
              quantity: 0.42,
              unitOfMeasure: 'kg',
              lotSelection: LotSelection.FEFO,
            },
          ],
          parameters: [{ name: 'pressure', target: 180, lowerLimit: 172, upperLimit: 188, unitOfMeasure: 'bar' }],
        },
        {
          code: '20-weld',
          name: 'Weld nut',
          workInstruction: 'WI-105 rev A',
          equipmentClass: 'spot-welder',
          qualification: 'spot-welding',
          critical: true,
          durationMinutes: 1,
          materials: [
            {
              materialDefinition: 'BOLT-M8',
              use: MaterialUse.Consumed,
              quantity: 2,
              unitOfMeasure: 'pcs',
              lotSelection: LotSelection.FIFO,
            },
          ],
          parameters: [{ name: 'current', target: 9.5, lowerLimit: 9, upperLimit: 10, unitOfMeasure: 'kA' }],
        },
        {
          code: '30-inspect',
          name: 'Final inspection',
          workInstruction: 'QI-12 rev B',
          equipmentClass: null,
          // Both bracket lines share line 2's end-of-line tester.
          outsideEquipment: ['acme/berlin/assembly/line-2/tester-1'],
          qualification: 'final-inspection',
          critical: true,
          durationMinutes: 2,
          materials: [
            {
              materialDefinition: 'BRACKET-A',
              use: MaterialUse.Produced,
              quantity: 1,
              unitOfMeasure: 'pcs',
              lotSelection: LotSelection.FIFO,
            },
          ],
          parameters: [],
        },
      ],
    }),
  );
  await activateFirstVersion(services, db, ACTOR, definition.id, must);
  for (const [number, quantity, line, startInHours] of [
    ['WO-1001', 500, 'acme/berlin/assembly/line-1', 2],
    ['WO-1002', 1200, 'acme/berlin/assembly/line-2', 10],
  ] as const) {
    must(
      await services.workOrder.create(ACTOR, {
        number,
        productDefinition: 'PD-BRACKET-A',
        quantity,
        equipment: line,
        plannedStart: new Date(now + startInHours * 3_600_000),
        plannedEnd: new Date(now + (startInHours + 8) * 3_600_000),
      }),
    );
  }
  await seedDemoScheduling(services, db, ACTOR, must);
  await seedDemoPlanning(services, ACTOR, must);
  return true;
}

/** The demo data is ours: a failure here is a bug, so say which. */
function must<T>(result: T | DomainFailure): T {
  if (isFailure(result)) throw new Error(`Seeding the demo plant failed: ${result.message}`);
  return result;
}

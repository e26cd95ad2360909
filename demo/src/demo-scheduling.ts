import {
  MaterialUse,
  LotSelection,
  ProductDefinitionVersion,
  ProductDefinitionVersionState,
  RequiredCleaning,
} from '@plantgraph/schema';
import type { Database, DomainFailure, Principal, Services } from '@plantgraph/hub';

/** Takes a new product definition's first version through review to Active, as the demo's own. */
export async function activateFirstVersion(
  services: Services,
  db: Database,
  actor: Principal,
  definitionId: string,
  must: <T>(r: T | DomainFailure) => T,
): Promise<void> {
  const [version] = await db.em.fork().find(ProductDefinitionVersion, { productDefinition: definitionId });
  for (const state of [
    ProductDefinitionVersionState.ForReview,
    ProductDefinitionVersionState.Approved,
    ProductDefinitionVersionState.Active,
  ])
    must(await services.productDefinition.transitionVersion(actor, { id: version!.id, state }));
}

/**
 * The demo's scheduling data: line 3 also packs cookie boxes, plain and with peanuts, so the
 * changeover matrix has an allergen rule to show (peanut → peanut-free needs a validated
 * sanitation; the other way round only the product change), beside the brackets of lines 1 and 2.
 */
export async function seedDemoScheduling(
  services: Services,
  db: Database,
  actor: Principal,
  must: <T>(r: T | DomainFailure) => T,
): Promise<void> {
  for (const [code, name] of [
    ['COOKIE-BOX-PLAIN', 'Butter cookies, box of 12'],
    ['COOKIE-BOX-PEANUT', 'Peanut cookies, box of 12'],
  ]) {
    must(
      await services.material.createDefinition(actor, {
        code: code!,
        name: name!,
        materialClass: 'finished-good',
        unitOfMeasure: 'pcs',
        properties: [],
      }),
    );
    const product = code!.replace('COOKIE-BOX', 'PD-COOKIES');
    const definition = must(
      await services.productDefinition.create(actor, {
        code: product,
        name: name!,
        producedMaterial: code!,
        changeNote: 'First release',
        segments: [
          {
            code: '10-pack',
            name: 'Pack boxes',
            workInstruction: 'WI-301 rev A',
            equipmentClass: 'packer',
            qualification: 'packing',
            critical: false,
            durationMinutes: null,
            materials: [
              {
                materialDefinition: code!,
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
    await activateFirstVersion(services, db, actor, definition.id, must);
  }
  for (const [product, family, allergens, setupMinutes] of [
    ['PD-BRACKET-A', 'bracket', [], 30],
    ['PD-COOKIES-PLAIN', 'cookies', [], 15],
    ['PD-COOKIES-PEANUT', 'cookies', ['peanut'], 15],
  ] as const)
    must(
      await services.schedulingPlan.setProfile(actor, {
        product,
        family,
        allergens: [...allergens],
        setupMinutes,
        crewSize: 1,
      }),
    );
  for (const [name, fromProducts, toProducts, minutes, requiredCleaning] of [
    ['product-change', '*', '*', 20, RequiredCleaning.None],
    ['allergen-peanut-out', 'contains:peanut', 'free-of:peanut', 60, RequiredCleaning.Sanitation],
    ['allergen-peanut-in', 'free-of:peanut', 'contains:peanut', 20, RequiredCleaning.None],
  ] as const)
    must(
      await services.schedulingPlan.setChangeoverRule(actor, {
        name,
        scope: 'acme/berlin',
        fromProducts,
        toProducts,
        minutes,
        requiredCleaning,
      }),
    );
}

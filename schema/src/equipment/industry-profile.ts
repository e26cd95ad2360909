import { Extensions, Field, ObjectType, registerEnumType } from 'type-graphql';
import { Permission } from '../auth/access.js';

/** The kind of manufacturing a site does, which decides the words its people use for the ISA-95 records. */
export enum IndustryProfile {
  Discrete = 'Discrete',
  Process = 'Process',
  Pharma = 'Pharma',
  Device = 'Device',
}
registerEnumType(IndustryProfile, { name: 'IndustryProfile' });

/**
 * The ISA-95 records in a plant's words, for front ends to show. Only labels: the schema, its
 * types, fields and enums keep their ISA-95 names whatever the profile.
 */
@ObjectType({ description: "The ISA-95 records in the site's own words (display only; the API keeps ISA-95 names)." })
@Extensions({ allow: [Permission.Read] })
export class DisplayLabels {
  @Field(() => IndustryProfile) profile!: IndustryProfile;
  @Field({ description: 'For WorkOrder.' }) workOrder!: string;
  @Field({ description: 'For ProductDefinition (the master record).' }) productDefinition!: string;
  @Field({ description: 'For ProductSegment (a step of the master record).' }) productSegment!: string;
  @Field({ description: 'For the executed record of an order (renderBatchRecord).' }) executedRecord!: string;
  @Field({ description: 'For MaterialLot.' }) materialLot!: string;
  @Field({ description: 'For a campaign order (several batches on one unit).' }) campaign!: string;
}

type Labels = Omit<DisplayLabels, 'profile'>;
/** The words of each profile; Discrete is what a site without a profile shows. */
export const PROFILE_LABELS: Readonly<Record<IndustryProfile, Labels>> = {
  [IndustryProfile.Discrete]: {
    workOrder: 'Build order',
    productDefinition: 'Routing',
    productSegment: 'Operation',
    executedRecord: 'Traveler',
    materialLot: 'Lot',
    campaign: 'Production run',
  },
  [IndustryProfile.Process]: {
    workOrder: 'Batch',
    productDefinition: 'Recipe',
    productSegment: 'Phase',
    executedRecord: 'Batch report',
    materialLot: 'Lot',
    campaign: 'Campaign',
  },
  [IndustryProfile.Pharma]: {
    workOrder: 'Manufacturing order',
    productDefinition: 'Master batch record',
    productSegment: 'Process step',
    executedRecord: 'Batch record',
    materialLot: 'Batch',
    campaign: 'Campaign',
  },
  [IndustryProfile.Device]: {
    workOrder: 'Production order',
    productDefinition: 'Device master record',
    productSegment: 'Operation',
    executedRecord: 'Device history record (DHR)',
    materialLot: 'Lot',
    campaign: 'Production run',
  },
};

export const displayLabelsOf = (profile: IndustryProfile | null | undefined): DisplayLabels =>
  Object.assign(new DisplayLabels(), {
    profile: profile ?? IndustryProfile.Discrete,
    ...PROFILE_LABELS[profile ?? IndustryProfile.Discrete],
  });

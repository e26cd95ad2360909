// The mapping between SAP's fields and the hub's ISA-95 objects: data per installation, validated when
// it is saved (validateMapping), versioned and audited by the hub, read by the pure functions in this
// folder. SAP codes are written as SAP shows them (plant "1710", work center "ASSEMBLY", unit "ST").

export interface SapMapping {
  /** Format of this document; 1 for now. */
  version: 1;
  plants: PlantMapping[];
  /** SAP unit of measure -> hub unit, e.g. {"ST": "pcs", "EA": "pcs", "KG": "kg"}. */
  units: Record<string, string>;
  /** Hub unit -> SAP unit to send back; required for a hub unit that more than one SAP unit maps to. */
  outboundUnits?: Record<string, string>;
  /** SAP material number -> hub material definition code (components, consumed lots). */
  materials: Record<string, string>;
  /** SAP material of an order's header -> hub product definition code it is made by. */
  products: Record<string, string>;
  /** Hub employee id -> SAP personnel number. Without it no personnel is sent. */
  personnel?: Record<string, string>;
  confirmation?: ConfirmationSettings;
}

export interface PlantMapping {
  /** SAP plant, e.g. "1710". */
  plant: string;
  /** Hub site path the plant is, e.g. "acme/palo-alto". */
  site: string;
  /** IANA time zone of the plant; SAP dates and times are plant-local. Default "UTC". */
  timeZone?: string;
  /** SAP work center -> hub equipment path (under the site). */
  workCenters: Record<string, string>;
  /** SAP storage location -> hub equipment path of the storage zone. */
  storageLocations?: Record<string, string>;
  /** SAP storage location for consumption when a lot's location maps to none. */
  defaultStorageLocation?: string;
  /** SAP storage location for the goods receipt of the yield. */
  receiptStorageLocation?: string;
}

export interface ConfirmationSettings {
  /** Post a goods receipt of the yield (movement type 101) with the confirmation. Default false. */
  goodsReceipt?: boolean;
  /** Default "261" (goods issue for the order). */
  consumptionMovementType?: string;
  /** Default "101" (goods receipt for the order). */
  receiptMovementType?: string;
}

/** A problem in a mapping document, naming the field to fix. */
export interface MappingIssue {
  /** Where, e.g. `plants[0].workCenters["ASSEMBLY"]`. */
  path: string;
  message: string;
}

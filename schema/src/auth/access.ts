import { registerEnumType } from 'type-graphql';

/** What a principal may do, each within the parts of the equipment hierarchy its grants cover. */
export enum Permission {
  /** See records: equipment, state history, lots, people, orders; master data once read anywhere. */
  Read = 'Read',
  /** Set an equipment state by hand (machines report through signals). */
  SetEquipmentState = 'SetEquipmentState',
  /**
   * Record and clear the maintenance and calibration condition of equipment (people of
   * maintenance, a CMMS connector); the interlock no machine signal can lift.
   */
  MaintainEquipment = 'MaintainEquipment',
  /** Record work on a step of a work order at the station. */
  ExecuteSteps = 'ExecuteSteps',
  /**
   * Co-sign regulated records as a reviewer (signature meaning Review): deviation closures,
   * corrections, master-record reviews.
   */
  Sign = 'Sign',
  /** Release work orders to the shop floor (dispatch: Draft → Released). */
  ReleaseToProduction = 'ReleaseToProduction',
  /**
   * The quality unit's decisions, signed with meaning Approval: release a produced batch to stock
   * or reject it, approve deviation closures and corrections, approve and activate master records;
   * a lot's disposition (leaving Quarantine, holds), signed changes of released product, CAPA links.
   */
  QualityApproval = 'QualityApproval',
  /** Create and schedule work orders. */
  PlanWorkOrders = 'PlanWorkOrders',
  /** Create and change the hierarchy, classes, materials, lots, people, product definitions. */
  ManageMasterData = 'ManageMasterData',
  /** Edit and deploy plant flows. */
  ManageFlows = 'ManageFlows',
  /** Configure connectors and replay their jobs. */
  ManageConnectors = 'ManageConnectors',
  /** Create, list and revoke API keys. */
  ManageKeys = 'ManageKeys',
  /** Raise and clear alerts (flows, connectors, people). */
  RaiseAlerts = 'RaiseAlerts',
  /** Acknowledge alerts, with a comment. */
  AcknowledgeAlerts = 'AcknowledgeAlerts',
}
registerEnumType(Permission, { name: 'Permission' });

/** Roles in the plant's language; each is a fixed set of permissions (see ROLE_PERMISSIONS). */
export enum Role {
  Operator = 'operator',
  Supervisor = 'supervisor',
  Quality = 'quality',
  Maintenance = 'maintenance',
  Engineer = 'engineer',
  Integrator = 'integrator',
  /** A machine gateway or the plant's flows: reports signals and raises alerts, and decides nothing. */
  Gateway = 'gateway',
  Admin = 'admin',
}
registerEnumType(Role, { name: 'Role' });

const P = Permission;
/** The documented meaning of each role. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  [Role.Operator]: [P.Read, P.ExecuteSteps, P.AcknowledgeAlerts],
  // Separation of duties (ADR 0015): the shop floor releases orders, the quality unit decides on what was made.
  [Role.Supervisor]: [
    P.Read,
    P.ExecuteSteps,
    P.SetEquipmentState,
    P.PlanWorkOrders,
    P.ReleaseToProduction,
    P.Sign,
    P.RaiseAlerts,
    P.AcknowledgeAlerts,
  ],
  [Role.Quality]: [P.Read, P.Sign, P.QualityApproval, P.AcknowledgeAlerts],
  [Role.Maintenance]: [P.Read, P.SetEquipmentState, P.MaintainEquipment, P.RaiseAlerts, P.AcknowledgeAlerts],
  [Role.Engineer]: [P.Read, P.ManageMasterData, P.Sign, P.ManageFlows, P.RaiseAlerts],
  [Role.Integrator]: [P.Read, P.ManageMasterData, P.PlanWorkOrders, P.ManageConnectors, P.RaiseAlerts],
  // Signals without MaintainEquipment: whoever edits the flows must not lift an interlock through them (ADR 0037).
  [Role.Gateway]: [P.Read, P.SetEquipmentState, P.RaiseAlerts],
  [Role.Admin]: Object.values(P),
};

/** A scope covering every enterprise of the installation. */
export const WHOLE_INSTALLATION = '*';

/** Field guard for results that only echo the caller's own request (expected failures). */
export const ANY_CALLER = 'AnyCaller';

/** The guard declarations read by the hub's middleware and by the schema-walk test. */
export interface GuardExtensions {
  allow: (Permission | typeof ANY_CALLER)[];
}

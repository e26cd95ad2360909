// What the MaintainX connector's end-to-end tests share: the demo hub with the connector type loaded, an
// integration engineer who holds what the connector is given (Maintenance at the site) and may delegate
// it, and the instance's configuration around the settings each test chooses.
import { maintainXConnector } from '@plantgraph/connector-cmms-maintainx';
import type { Mode } from './harness.js';
import { actAs, demoPeople, startDemoWithPeople } from './regulated.js';

export async function startHubForCmms(mode: Mode) {
  const { idp, hub } = await startDemoWithPeople(mode, {
    connectorTypes: [maintainXConnector],
    connectors: { relayIntervalMs: 100, healthIntervalMs: 600_000 },
  });
  const as = actAs(hub, {
    ...demoPeople(idp),
    integrator: () => idp.token({ sub: 'N4002', roles: ['integrator@acme/berlin', 'maintenance@acme/berlin'] }),
  });
  return { idp, hub, as };
}

/** The `configureConnector` input of the instance `cmms` at the site, granted Maintenance there. */
export const cmmsInstance = (settings: Record<string, unknown>) => ({
  name: 'cmms',
  type: 'cmms-maintainx',
  scope: 'acme/berlin',
  settings,
  grants: [{ role: 'Maintenance', scope: 'acme/berlin' }],
  enabled: true,
});

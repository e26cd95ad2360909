/**
 * What a plant's flows may contain, checked on every deploy (editor and `plantgraph flows import`)
 * before anything is stored, and applied to the Node-RED runtime's settings. The runtime shares
 * the hub's process, user and environment (ADR 0003): a node that reaches the host reaches the
 * hub's database and bus credentials, so such nodes are not loaded unless the installation says so.
 */
import { InvalidFlowsError, type FlowNode } from './flow-document.js';

export interface FlowPolicy {
  /** Load and accept the core nodes that reach the hub's host (`PLANTGRAPH_FLOWS_HOST_ACCESS=on`). */
  hostAccess: boolean;
  /** The longest a function node may run synchronously (`PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS`). */
  functionTimeoutSeconds: number;
  /** `http in` paths that answer without credentials (`PLANTGRAPH_FLOWS_PUBLIC_HTTP`): exact, or `/prefix/*`. */
  publicHttpPaths: readonly string[];
}

export const DEFAULT_FLOW_POLICY: FlowPolicy = { hostAccess: false, functionTimeoutSeconds: 5, publicHttpPaths: [] };

/** Whether `path` (below `/flows-http`) is one of the public endpoints: exact, or under a `/prefix/*`. */
export function isPublicEndpoint(path: string, publicPaths: readonly string[]): boolean {
  return publicPaths.some((p) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

/** An `http in` endpoint of a flows document, and whether this hub serves it without credentials. */
export interface FlowHttpEndpoint {
  method: string;
  path: string;
  public: boolean;
}

/** The `http in` endpoints of `nodes`, in document order. */
export function httpEndpoints(nodes: readonly FlowNode[], policy: FlowPolicy): FlowHttpEndpoint[] {
  return nodes
    .filter((n) => n.type === 'http in' && typeof n.url === 'string')
    .map((n) => {
      const url = n.url as string;
      const path = url.startsWith('/') ? url : `/${url}`;
      return {
        method: String(n.method ?? 'get').toUpperCase(),
        path,
        public: isPublicEndpoint(path, policy.publicHttpPaths),
      };
    });
}

/**
 * Node-RED core nodes that reach the host, by the core file that registers them (Node-RED's
 * `nodesExcludes` names files): shell commands, the file system, raw sockets.
 */
export const HOST_ACCESS_NODES: Readonly<Record<string, readonly string[]>> = {
  '90-exec.js': ['exec'],
  '10-file.js': ['file', 'file in'],
  '23-watch.js': ['watch'],
  '31-tcpin.js': ['tcp in', 'tcp out', 'tcp request'],
  '32-udp.js': ['udp in', 'udp out'],
};
const HOST_ACCESS_TYPES = new Set(Object.values(HOST_ACCESS_NODES).flat());

/** A deploy the policy refuses; `code` and `status` are what Node-RED's admin API answers with. */
export class FlowPolicyError extends InvalidFlowsError {
  readonly code = 'flows_refused';
  readonly status = 400;
}

/** The hub's own settings and credentials in its environment; `PLANTGRAPH_DEMO_MQTT_URL` is the demo flows'. */
const HUB_SETTING = /^(DATABASE_URL|NATS_URL|REDIS_URL|PG[A-Z_]*|PLANTGRAPH_(?!DEMO_MQTT_URL$)[A-Z0-9_]*)$/;
/** Anything else named like a secret. */
const SECRET = /SECRET|TOKEN|PASSW|CREDENTIAL|PRIVATE|API_?KEY|_KEY$|^KEY_/i;

/**
 * The environment variables flows may not read (Node-RED's `envVarExcludes`: `env` properties,
 * `${VAR}` in node settings, `env.get` in function nodes): the hub's settings and secrets.
 */
export function hiddenEnvironment(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((name) => HUB_SETTING.test(name) || SECRET.test(name));
}

/** The Node-RED settings that enforce the policy in the runtime itself. */
export function nodeRedPolicySettings(
  policy: FlowPolicy,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> {
  return {
    envVarExcludes: hiddenEnvironment(env),
    nodesExcludes: policy.hostAccess ? [] : Object.keys(HOST_ACCESS_NODES),
    // The default for new function nodes in the editor, and the limit for those that set none.
    functionTimeout: policy.functionTimeoutSeconds,
    globalFunctionTimeout: policy.functionTimeoutSeconds,
  };
}

/** The node's own label for messages: `exec "run script" (id a1)`. */
const describe = (n: FlowNode) => `${n.type}${typeof n.name === 'string' && n.name ? ` "${n.name}"` : ''} (id ${n.id})`;

/** What the policy refuses in `nodes`, said so that the deployer knows what to change; null when nothing. */
export function flowPolicyRefusal(nodes: readonly FlowNode[], policy: FlowPolicy): string | null {
  const problems: string[] = [];
  const host = nodes.filter((n) => HOST_ACCESS_TYPES.has(n.type));
  if (host.length && !policy.hostAccess)
    problems.push(
      `${host.map(describe).join(', ')} reach${host.length === 1 ? 'es' : ''} the hub's host (shell, files or ` +
        'raw sockets), which this hub does not allow. Remove them, or have the installation set ' +
        'PLANTGRAPH_FLOWS_HOST_ACCESS=on (it grants every flow editor shell access to the hub host).',
    );
  // A function node's own timeout replaces the hub's (Node-RED's rule); 0 or none means the hub's.
  const slow = nodes.filter((n) => n.type === 'function' && Number(n.timeout) > policy.functionTimeoutSeconds);
  if (slow.length)
    problems.push(
      `${slow.map((n) => `${describe(n)} with a timeout of ${Number(n.timeout)} s`).join(', ')}: function nodes may ` +
        `run at most ${policy.functionTimeoutSeconds} s at a time here (PLANTGRAPH_FLOWS_FUNCTION_TIMEOUT_SECONDS); ` +
        'set a lower timeout, or 0 for the hub’s.',
    );
  return problems.length ? `Deploy refused: ${problems.join(' ')}` : null;
}

/** Throws the refusal as a `FlowPolicyError`. */
export function checkFlowPolicy(nodes: readonly FlowNode[], policy: FlowPolicy): void {
  const refusal = flowPolicyRefusal(nodes, policy);
  if (refusal) throw new FlowPolicyError(refusal);
}

/**
 * The nodes of a deploy as Node-RED's runtime API receives it: a full flows array (`setFlows`), or
 * one flow (`addFlow`, `updateFlow`: `{ nodes, configs, subflows }`, subflows with their own nodes).
 */
export function nodesOfDeploy(flows: unknown): FlowNode[] {
  const isNode = (n: unknown): n is FlowNode =>
    !!n && typeof n === 'object' && typeof (n as FlowNode).type === 'string' && typeof (n as FlowNode).id === 'string';
  if (Array.isArray(flows)) return flows.filter(isNode);
  if (!flows || typeof flows !== 'object') return [];
  const flow = flows as { nodes?: unknown; configs?: unknown; subflows?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const subflows = list(flow.subflows);
  return [
    ...list(flow.nodes),
    ...list(flow.configs),
    ...subflows,
    ...subflows.flatMap((s) => list((s as { flow?: unknown })?.flow)),
  ].filter(isNode);
}

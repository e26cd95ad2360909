/** Fake n8n function contexts: parameters from a map, the hub's HTTP answers from a script. */
export interface Sent {
  url: string;
  credential: string;
  query: string;
  variables: Record<string, any>;
}
export type Answer = { statusCode?: number; body: unknown };

export function fakeHub(answers: Answer[]) {
  const sent: Sent[] = [];
  const httpRequestWithAuthentication = async (credential: string, options: any) => {
    sent.push({ url: options.url, credential, query: options.body.query, variables: options.body.variables });
    const answer = answers.shift();
    if (!answer) throw new Error(`no answer scripted for request ${sent.length}`);
    return { statusCode: answer.statusCode ?? 200, body: answer.body };
  };
  return { sent, httpRequestWithAuthentication };
}

const base = (hub: ReturnType<typeof fakeHub>) => ({
  getNode: () => ({ name: 'PlantGraph' }),
  getCredentials: async () => ({ hubUrl: 'http://hub.test:4000/', apiKey: 'pgk_x' }),
  helpers: {
    httpRequestWithAuthentication: hub.httpRequestWithAuthentication,
    returnJsonArray: (items: any[]) => items.map((json) => ({ json })),
  },
});

export function executeContext(
  hub: ReturnType<typeof fakeHub>,
  params: Record<string, unknown>[],
  continueOnFail = false,
) {
  return {
    ...base(hub),
    getInputData: () => params.map(() => ({ json: {} })),
    continueOnFail: () => continueOnFail,
    getNodeParameter: (name: string, i: number, fallback?: unknown) => params[i]![name] ?? fallback,
  };
}

export function pollContext(hub: ReturnType<typeof fakeHub>, params: Record<string, unknown>, staticData: any = {}) {
  return {
    ...base(hub),
    staticData,
    mode: 'trigger',
    getMode() {
      return this.mode;
    },
    getWorkflowStaticData: () => staticData,
    getNodeParameter: (name: string, fallback?: unknown) => params[name] ?? fallback,
  };
}

export const data = (d: unknown): Answer => ({ body: { data: d } });

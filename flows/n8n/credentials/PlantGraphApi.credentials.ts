import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** A PlantGraph hub and an API key of it (`createApiKey`); the key's grants are what the nodes may do. */
export class PlantGraphApi implements ICredentialType {
  name = 'plantGraphApi';

  displayName = 'PlantGraph API';

  icon = 'file:plantgraph.svg' as const;

  // The package's own page (its README, "Credentials"): n8n links it from the credential dialog.
  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-plantgraph#credentials';

  properties: INodeProperties[] = [
    {
      displayName: 'Hub URL',
      name: 'hubUrl',
      type: 'string',
      default: 'http://localhost:4000',
      placeholder: 'https://plantgraph.example.com',
      description: 'The address of the hub, without /graphql',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'A key made with createApiKey (pgk_…); give it only the roles and scope the workflows need',
      required: true,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
  };

  // `viewer` answers for any valid key; a wrong or revoked key gets HTTP 401, a wrong URL no hub: both fail the test.
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.hubUrl.replace(/\\/+$/, "")}}',
      url: '/graphql',
      method: 'POST',
      body: { query: '{ viewer { name kind } }' },
      json: true,
    },
  };
}

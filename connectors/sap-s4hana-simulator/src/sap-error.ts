// Errors in the shape SAP Gateway answers them in JSON. Codes follow Gateway's style (message class /
// number); the business messages and their numbers are the simulator's own, not SAP's texts.

import { randomBytes } from 'node:crypto';

export interface SimErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: SimErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sapErrorBody(error: SimError, service: string): string {
  const details = error.details.length ? error.details : [{ code: error.code, message: error.message }];
  return JSON.stringify({
    error: {
      code: error.code,
      message: { lang: 'en', value: error.message },
      innererror: {
        application: {
          component_id: 'PP-SFC-EXE-CON',
          service_namespace: '/SAP/',
          service_id: service,
          service_version: '0001',
        },
        transactionid: randomBytes(16).toString('hex').toUpperCase(),
        timestamp: new Date().toISOString().replace(/\D/g, '').slice(0, 14),
        Error_Resolution: {
          SAP_Transaction: 'Run transaction /IWFND/ERROR_LOG on SAP Gateway hub system (simulated)',
          SAP_Note: 'See SAP Note 1797736 for error analysis',
        },
        errordetails: details.map((d) => ({
          code: d.code,
          message: d.message,
          propertyref: '',
          severity: 'error',
          target: d.target ?? '',
          transition: false,
        })),
      },
    },
  });
}

/** A business error (HTTP 400), the kind SAP returns for a refused confirmation. */
export const businessError = (code: string, message: string, target?: string) =>
  new SimError(400, code, message, [{ code, message, target }]);

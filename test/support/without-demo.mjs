// Preloaded (`node --import`) into a hub process to play an installation without the demo package:
// resolving @plantgraph/demo or aedes fails as for a package that is not installed, and so does mqtt
// when the hub's own code asks for it (Node-RED's MQTT nodes bring their own).
import { registerHooks } from 'node:module';

const ABSENT = new Set(['@plantgraph/demo', 'aedes']);
const HUB = new URL('../../hub/', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (ABSENT.has(specifier) || (specifier === 'mqtt' && context.parentURL?.startsWith(HUB))) {
      const err = new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`);
      err.code = 'ERR_MODULE_NOT_FOUND';
      throw err;
    }
    return nextResolve(specifier, context);
  },
});

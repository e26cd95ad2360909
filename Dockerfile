# PlantGraph hub image; docker-compose.yml builds it for both `migrate` and `hub`.

# --- build: install dependencies, compile schema + hub + demo, drop dev dependencies ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the `npm ci` layer is reused until dependencies change.
# Every workspace's package.json must be present or `npm ci` rejects the lockfile.
COPY package.json package-lock.json .npmrc ./
COPY schema/package.json schema/
COPY hub/package.json hub/
COPY demo/package.json demo/
COPY test/package.json test/
COPY connectors/sdk/package.json connectors/sdk/
COPY connectors/sap-s4hana/package.json connectors/sap-s4hana/
COPY connectors/sap-s4hana-simulator/package.json connectors/sap-s4hana-simulator/
COPY connectors/opcua/package.json connectors/opcua/
COPY connectors/opcua-simulator/package.json connectors/opcua-simulator/
COPY connectors/sparkplug/package.json connectors/sparkplug/
COPY connectors/sparkplug-simulator/package.json connectors/sparkplug-simulator/
COPY connectors/simulator-kit/package.json connectors/simulator-kit/
COPY connectors/cmms-maintainx/package.json connectors/cmms-maintainx/
COPY connectors/cmms-maintainx-simulator/package.json connectors/cmms-maintainx-simulator/
COPY connectors/qms-rest/package.json connectors/qms-rest/
COPY connectors/qms-rest-simulator/package.json connectors/qms-rest-simulator/
COPY connectors/b2mml/package.json connectors/b2mml/
COPY flows/node-red/package.json flows/node-red/
COPY console/package.json console/
RUN npm ci
COPY tsconfig*.json ./
COPY schema schema
COPY hub hub
COPY demo demo
COPY connectors connectors
COPY test test
COPY flows flows
COPY console console
COPY README.md ./
# `tsc -b hub demo` also builds schema, which both reference. schema.graphql is
# normally committed (npm run schema:generate); print it if a checkout lacks it.
# The PlantGraph Node-RED nodes are built to CommonJS with their editor HTML; the GraphQL IDE
# (GraphiQL, a dev dependency) is bundled into hub/dist/ide with the README for its saved tabs, the
# plant console (Preact, a dev dependency) into hub/dist/console, its operations typed from schema.graphql.
# The third-party packages the hub imports are bundled into hub/dist/vendor (esbuild, ADR 0074).
# npm nests a dependency under demo/node_modules when the demo pins another version
# than the hoisted one (mqtt today; the Sparkplug connector too); the folders must exist for the COPY below.
RUN npx tsc -b hub connectors/sap-s4hana connectors/opcua connectors/sparkplug connectors/cmms-maintainx connectors/b2mml demo \
 && node hub/scripts/bundle-vendor.mjs \
 && npm run build -w flows/node-red \
 && { test -f schema/schema.graphql || node hub/dist/cli.js schema; } \
 && node hub/ide/build.mjs \
 && node console/build.mjs \
 && npm prune --omit=dev \
 && mkdir -p demo/node_modules connectors/sparkplug/node_modules

# --- runtime: compiled output and dependencies only -----------------------------
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
# node_modules/@plantgraph/* are workspace symlinks into these folders.
COPY --from=build /app/schema/package.json /app/schema/schema.graphql schema/
COPY --from=build /app/schema/dist schema/dist
COPY --from=build /app/hub/package.json hub/
COPY --from=build /app/hub/dist hub/dist
COPY --from=build /app/flows/node-red/package.json flows/node-red/
COPY --from=build /app/flows/node-red/dist flows/node-red/dist
# The connector contract and the connectors the hub loads (PLANTGRAPH_CONNECTOR_PACKAGES).
COPY --from=build /app/connectors/sdk/package.json connectors/sdk/
COPY --from=build /app/connectors/sdk/dist connectors/sdk/dist
COPY --from=build /app/connectors/sap-s4hana/package.json connectors/sap-s4hana/
COPY --from=build /app/connectors/sap-s4hana/dist connectors/sap-s4hana/dist
COPY --from=build /app/connectors/opcua/package.json connectors/opcua/
COPY --from=build /app/connectors/opcua/dist connectors/opcua/dist
COPY --from=build /app/connectors/sparkplug/package.json connectors/sparkplug/
COPY --from=build /app/connectors/sparkplug/dist connectors/sparkplug/dist
COPY --from=build /app/connectors/sparkplug/node_modules connectors/sparkplug/node_modules
COPY --from=build /app/connectors/cmms-maintainx/package.json connectors/cmms-maintainx/
COPY --from=build /app/connectors/cmms-maintainx/dist connectors/cmms-maintainx/dist
COPY --from=build /app/connectors/b2mml/package.json connectors/b2mml/
COPY --from=build /app/connectors/b2mml/dist connectors/b2mml/dist
COPY --from=build /app/connectors/b2mml/schema connectors/b2mml/schema
# The demo (`start --demo`; the default command runs without it) and its plant's flows.
COPY --from=build /app/demo/package.json demo/
COPY --from=build /app/demo/dist demo/dist
COPY --from=build /app/demo/node_modules demo/node_modules
COPY --from=build /app/connectors/sap-s4hana-simulator/package.json connectors/sap-s4hana-simulator/
COPY --from=build /app/connectors/sap-s4hana-simulator/dist connectors/sap-s4hana-simulator/dist
COPY --from=build /app/connectors/sap-s4hana-simulator/metadata connectors/sap-s4hana-simulator/metadata
COPY --from=build /app/flows/plants flows/plants
# Run as the image's unprivileged user, not root; without DATABASE_URL the hub
# keeps its embedded database in .plantgraph/, which that user must own.
RUN mkdir .plantgraph && chown node:node .plantgraph
USER node
EXPOSE 4000
# The node flags of hub/dist/cli.js's first line (ADR 0030).
CMD ["node", "--max-semi-space-size=8", "hub/dist/cli.js", "start"]

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIR = join(ROOT, 'deploy/kubernetes');
type Doc = { kind: string; metadata: { name: string }; [key: string]: any };
const documents = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Doc;
  });
const kustomization = documents('kustomization.yaml')[0]!;
const applied = (kustomization.resources as string[]).flatMap((file) => documents(file));
const byKind = (kind: string) => applied.filter((d) => d.kind === kind);
/** Every setting the README's configuration table documents. */
const documented = new Set(
  [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]),
);

/**
 * The Kubernetes manifests in deploy/: no cluster runs here, so these checks keep them true to the
 * hub — the paths it serves, the settings it reads, the commands its image has.
 */
describe('deploy/kubernetes', () => {
  it('lists files that exist and parse', () => {
    for (const file of kustomization.resources as string[]) expect(existsSync(join(DIR, file)), file).toBe(true);
    expect(readdirSync(DIR).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(5);
  });

  it('runs several replicas, ready on /readyz and alive on /healthz', () => {
    const [deployment] = byKind('Deployment');
    expect(deployment!.spec.replicas).toBeGreaterThanOrEqual(2);
    const [hub] = deployment!.spec.template.spec.containers;
    expect(hub.readinessProbe.httpGet.path).toBe('/readyz');
    expect(hub.livenessProbe.httpGet.path).toBe('/healthz');
    expect(hub.command).toEqual(['node', '--max-semi-space-size=8', 'hub/dist/cli.js', 'start']);
    expect(byKind('PodDisruptionBudget')[0]!.spec.minAvailable).toBe(1);
    const service = byKind('Service')[0]!;
    expect(service.spec.selector).toEqual(deployment!.spec.selector.matchLabels);
  });

  it('migrates with the same settings before the hub starts', () => {
    const [job] = byKind('Job');
    const [migrate] = job!.spec.template.spec.containers;
    expect(migrate.command).toEqual(['node', 'hub/dist/cli.js', 'migrate']);
    const [hub] = byKind('Deployment')[0]!.spec.template.spec.containers;
    expect(migrate.envFrom).toEqual(hub.envFrom);
    expect(migrate.image).toBe(hub.image);
  });

  it('sets only settings the hub documents, and the Secret holds what production needs', () => {
    const config = byKind('ConfigMap')[0]!;
    const secret = documents('secret.example.yaml')[0]!;
    const names = [...Object.keys(config.data), ...Object.keys(secret.stringData)];
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
    expect(Object.keys(secret.stringData)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'PLANTGRAPH_FLOWS_CREDENTIAL_SECRET', 'PLANTGRAPH_CONNECTOR_SECRET']),
    );
    const refs = byKind('Deployment')[0]!.spec.template.spec.containers[0].envFrom;
    expect(refs).toEqual([
      { configMapRef: { name: config.metadata.name } },
      { secretRef: { name: secret.metadata.name } },
    ]);
  });

  it("runs commands the image has: the Dockerfile's user and entry point", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY --from=build /app/hub/dist hub/dist');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(existsSync(join(ROOT, 'hub/dist/cli.js'))).toBe(true);
    // The hub runs as the image runs it, with the node flags of the `plantgraph` command's first line.
    const [hub] = byKind('Deployment')[0]!.spec.template.spec.containers;
    expect(hub.command).toEqual(JSON.parse(/^CMD (\[.+\])$/m.exec(dockerfile)![1]!));
    const shebang = readFileSync(join(ROOT, 'hub/src/cli.ts'), 'utf8').split('\n', 1)[0]!;
    expect(shebang).toBe(`#!/usr/bin/env -S ${hub.command.slice(0, -2).join(' ')}`);
    for (const d of [byKind('Deployment')[0]!, byKind('Job')[0]!])
      expect(d.spec.template.spec.securityContext.runAsUser).toBe(1000); // the node image's "node"
  });
});

// The client's sync modules (`src/sync/*.ts`) bundled for a Node test with rolldown and imported:
// `yjs` stays external, so a test's documents and the modules' are of one Yjs.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

export const CLIENT_DIR = resolve(fileURLToPath(import.meta.url), '..');

/** Bundles `modules` (names in `src/sync/`) into `node_modules/.cache/kortvaeg-test-<name>` and imports each. */
export async function loadSync(name, modules) {
  const out = resolve(CLIENT_DIR, `node_modules/.cache/kortvaeg-test-${name}`);
  await build({
    input: Object.fromEntries(modules.map((m) => [m, resolve(CLIENT_DIR, `src/sync/${m}.ts`)])),
    external: ['yjs'],
    logLevel: 'warn',
    write: true,
    output: { dir: out, format: 'esm' },
  });
  return Promise.all(modules.map((m) => import(resolve(out, `${m}.js`))));
}

// Runs the three experiments one after the other (pnpm --filter @plasticity/bio experiments), after a build.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

for (const script of ['classifier.mjs', 'continual.mjs', 'snn-dale.mjs']) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

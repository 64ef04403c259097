// `pnpm bench [name]`: runs bench/<name>.mjs (every benchmark when no name is given), each in its
// own Node process (with --expose-gc), and leaves bench/results/<name>.json behind.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').map((f) => f.slice(0, -4)).sort();
const names = process.argv.slice(2);
for (const n of names) {
  if (!existsSync(path.join(here, `${n}.mjs`))) {
    console.error(`no benchmark "${n}" (bench/${n}.mjs); available: ${all.join(', ')}`);
    process.exit(2);
  }
}
let failed = 0;
for (const n of names.length ? names : all) {
  console.log(`\n### bench ${n}`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(here, `${n}.mjs`)], { stdio: 'inherit', cwd: path.dirname(here) });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${n} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);

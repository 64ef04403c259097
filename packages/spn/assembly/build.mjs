// Compiles assembly/kernels.ts into src/wasm/wasm-binary.ts with tooling/asc/wasm-module.mjs: `node assembly/build.mjs`
// writes it, `--check` verifies the committed file (as the test suite does). Browsers compile at most 4 KB synchronously on a page's main thread: the build fails above.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as asc from 'assemblyscript/asc';
import { wasmModuleBuild } from '../../../tooling/asc/wasm-module.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = wasmModuleBuild({
  asc, source: path.join(here, 'kernels.ts'), output: path.join(here, '..', 'src', 'wasm', 'wasm-binary.ts'), pkg: '@plasticity/spn', what: "The host kernels' module", maxBytes: 4096, 
});
export const OUTPUT = build.output;
export const generate = build.generate;

if (process.argv[1] === fileURLToPath(import.meta.url)) await build.cli();

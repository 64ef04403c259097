// Compiles assembly/kernels.ts into src/wasm-binary.ts with tooling/asc/wasm-module.mjs: `node assembly/build.mjs`
// writes it, `--check` verifies the committed file (as the test suite does). Over 4 KB, so a browser's main thread compiles it in the background (src/wasm.ts).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as asc from 'assemblyscript/asc';
import { wasmModuleBuild } from '../../../tooling/asc/wasm-module.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const build = wasmModuleBuild({
  asc, source: path.join(here, 'kernels.ts'), output: path.join(here, '..', 'src', 'wasm-binary.ts'), pkg: '@plasticity/bio', what: "The bio host kernels' module", 
});
export const OUTPUT = build.output;
export const generate = build.generate;

if (process.argv[1] === fileURLToPath(import.meta.url)) await build.cli();

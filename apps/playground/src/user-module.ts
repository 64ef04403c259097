// Runs code the user typed as an ES module. Its imports of the public packages resolve to the copies
// this app already loaded (one tfjs engine, one set of classes): each allowed specifier is rewritten
// to a small blob: module that re-exports the live module's members. Nothing is fetched.
// This evaluates code on purpose — the user's own, typed on this page; specs and checkpoints never are.
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@plasticity/core';
import * as fused from '@plasticity/core/fused';
import * as sparse from '@plasticity/sparse';
import * as snn from '@plasticity/snn';
import * as rules from '@plasticity/rules';

const MODULES: Record<string, Record<string, unknown>> = {
  '@tensorflow/tfjs-core': tf,
  '@plasticity/core': core,
  '@plasticity/core/fused': fused,
  '@plasticity/sparse': sparse,
  '@plasticity/snn': snn,
  '@plasticity/rules': rules,
};
const GLOBAL_KEY = '__plasticityUserModules';
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
let shims: Record<string, string> | null = null;

/** One blob: module per allowed specifier, made once. */
function shimUrls(): Record<string, string> {
  if (shims) return shims;
  (globalThis as Record<string, unknown>)[GLOBAL_KEY] = MODULES;
  shims = {};
  for (const [specifier, mod] of Object.entries(MODULES)) {
    const names = Object.keys(mod).filter((k) => IDENTIFIER.test(k) && k !== 'default');
    const source = `const m = globalThis[${JSON.stringify(GLOBAL_KEY)}][${JSON.stringify(specifier)}];\n` +
      names.map((k) => `export const ${k} = m[${JSON.stringify(k)}];`).join('\n') + '\nexport default m;\n';
    shims[specifier] = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  }
  return shims;
}

export const ALLOWED_IMPORTS = Object.keys(MODULES);

/**
 * Imports `source` as a module and returns its exports. Static imports (`import … from '…'`) may name
 * the packages in ALLOWED_IMPORTS; anything else is an error before the code runs.
 */
export async function importUserModule(source: string): Promise<Record<string, unknown>> {
  const urls = shimUrls();
  const rewritten = source.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\2/g, (match, lead: string, quote: string, specifier: string) => {
    const url = urls[specifier];
    if (!url) throw new Error(`import of '${specifier}' is not available here: use ${ALLOWED_IMPORTS.map((s) => `'${s}'`).join(', ')}`);
    return `${lead}${quote}${url}${quote}`;
  });
  const url = URL.createObjectURL(new Blob([rewritten], { type: 'text/javascript' }));
  try {
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } finally {
    URL.revokeObjectURL(url);
  }
}

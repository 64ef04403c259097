import { defineFormat, type Format, type Registry } from '@plasticity/core';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';

/** Parameters of the format plugins: what to do with repeated (pre, post) pairs. */
export type FormatParams = { readonly duplicates: 'sum' | 'error' };

const defaults: FormatParams = { duplicates: 'sum' };

function validate(params: FormatParams): string[] {
  return params.duplicates === 'sum' || params.duplicates === 'error'
    ? []
    : [`duplicates must be 'sum' or 'error', got ${JSON.stringify(params.duplicates)}`];
}

export const denseFormat: Format<FormatParams, DenseConnection> = defineFormat({
  name: 'sparse/dense',
  description: 'All-to-all [nPre, nPost] tensor; every entry is a synapse',
  defaults,
  validate,
  fromCoo: (coo, params) => DenseConnection.fromCoo(coo, params),
});

export const csrFormat: Format<FormatParams, CSRConnection> = defineFormat({
  name: 'sparse/csr',
  description: 'Compressed sparse rows (rows = pre) with a cached CSC view for post-triggered updates',
  defaults,
  validate,
  fromCoo: (coo, params) => CSRConnection.fromCoo(coo, params),
});

export const cooFormat: Format<FormatParams, COOConnection> = defineFormat({
  name: 'sparse/coo',
  description: 'Coordinate triples in user order, run through cached CSR/CSC views',
  defaults,
  validate,
  fromCoo: (coo, params) => COOConnection.fromCoo(coo, params),
});

/** Registers the three format plugins of @plasticity/sparse. */
export function registerBuiltins(registry: Registry): void {
  for (const format of [denseFormat, csrFormat, cooFormat]) registry.register(format);
}

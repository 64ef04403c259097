import { PlasticityError, describeValue } from '@plasticity/core';
import type { ConnectionArrays, ConnectionFormat } from './connection.js';

export type { ConnectionArrays };

const REQUIRED: Record<ConnectionFormat, readonly string[]> = {
  dense: ['weights'],
  csr: ['indptr', 'indices', 'weights'],
  coo: ['pre', 'post', 'weights'],
};

/**
 * Checks the envelope of `toArrays()` output before a constructor validates the contents: a known
 * format (the expected one when given) and every array present with its dtype (E_FORMAT otherwise).
 */
export function checkConnectionArrays(a: ConnectionArrays, expected?: ConnectionFormat): void {
  if (a === null || typeof a !== 'object' || a.arrays === null || typeof a.arrays !== 'object') {
    throw new PlasticityError('E_FORMAT', `connection arrays must be { format, nPre, nPost, arrays }, got ${describeValue(a)}`);
  }
  const need = Object.hasOwn(REQUIRED, a.format) ? REQUIRED[a.format] : undefined;
  if (!need) throw new PlasticityError('E_FORMAT', `format must be 'dense', 'csr' or 'coo', got ${describeValue(a.format)}`);
  if (expected !== undefined && a.format !== expected) {
    throw new PlasticityError('E_FORMAT', `expected arrays of format '${expected}', got ${describeValue(a.format)}`);
  }
  for (const name of need) {
    const v = a.arrays[name];
    const isWeights = name === 'weights';
    if (isWeights ? !(v instanceof Float32Array) : !(v instanceof Int32Array)) {
      throw new PlasticityError('E_FORMAT',
        `arrays.${name} of a ${a.format} connection must be ${isWeights ? 'a Float32Array' : 'an Int32Array'}, got ${describeValue(v)}`);
    }
  }
}

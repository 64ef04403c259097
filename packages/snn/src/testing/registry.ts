import { createRegistry, type Registry } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';

/** For the tests: a registry with the built-in rules (and their fused kernels); the network adds the neurons. */
export function builtins(): Registry {
  const r = createRegistry();
  registerBuiltins(r);
  return r;
}

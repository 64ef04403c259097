import { defineFusedKernel, type FusedContext, type FusedKernelConfig } from '@plasticity/core/fused';
import type { Params, PluginName } from '@plasticity/core';
import { makeRuleKernel } from './kernels.js';
import { validateFusedSpec, type FusedRuleSpec } from './spec.js';

/**
 * A kernel config for a rule the built-in STDP-family kernels can run: `toSpec` translates the
 * rule's params (undefined: no fused form, `why` says so in the network's report).
 */
export function specKernel<P extends Params>(rule: PluginName, toSpec: (p: P) => FusedRuleSpec | undefined, why: (p: P) => string,
  modulator?: (p: P) => string): FusedKernelConfig<P> {
  return defineFusedKernel<P>({
    rule,
    unsupported: (ctx) => (toSpec(ctx.params) ? undefined : why(ctx.params)),
    setup(ctx: FusedContext<P>) {
      const spec = validateFusedSpec(toSpec(ctx.params)!, ctx.dtMs);
      // lazy potentiation assumes 0/1 events (a signed pre spike would scale the owed LTP)
      return makeRuleKernel(ctx.table, spec, ctx.dtMs, { lazy: ctx.lazy && ctx.binaryEvents });
    },
    ...(modulator ? { modulator } : {}),
  });
}

// The same user rule as my-stdp.mjs with a faster kernel: potentiation is deferred with the public
// LazyPotentiation block of @plasticity/rules (the one core/stdp's default kernel is built from), so a
// post spike costs O(1) instead of a walk down its column of weights. Written only against the published
// API; `pnpm bench engine` times it against core/stdp in the same run.
//
// LazyPotentiation needs 0/1 events and a network that allows it (`lazyPotentiation`, no transform on
// the projection): `ctx.lazy && ctx.binaryEvents`. Elsewhere the kernel of my-stdp.mjs runs.
import { defineRule } from '@plasticity/core';
import { ScaledTrace, defineFusedKernel, setTraceState, traceState } from '@plasticity/core/fused';
import { LazyPotentiation } from '@plasticity/rules';
import { myStdp } from './my-stdp.mjs';

const kernel = defineFusedKernel({
  rule: 'acme/my-lazy-stdp',
  setup(ctx) {
    if (!(ctx.lazy && ctx.binaryEvents)) return myStdp.fused.setup(ctx);
    const { table, params: p, dtMs } = ctx;
    // the pre trace's scale moves at most by e^12 between flushes (see LazyPotentiation)
    const xPre = new ScaledTrace(table.nPre, 'all-to-all', dtMs, p.tauPlusMs, 1, 12);
    const xPost = new ScaledTrace(table.nPost, 'all-to-all', dtMs, p.tauMinusMs);
    const lazy = new LazyPotentiation(table, xPre, { aPlus: p.aPlus, wMin: p.wMin, wMax: p.wMax });
    const traces = { xPre, xPost };
    const k0 = { delta: lazy.delta, Y: xPost.X, aMinus: p.aMinus }; // one object, taken apart in step (see my-stdp.mjs)
    return {
      step(io) {
        const { n, preActive, preCount, postActive, postCount } = io;
        if (preCount === 0 && postCount === 0) return;
        const { delta, Y, aMinus } = k0;
        lazy.advance(n);
        xPost.advance(n);
        if (preCount > 0) {
          // depression of every synapse of an active pre i: −A−·y_j (propagated before it, as Brian2's on_pre)
          const amp = aMinus * xPost.read(n);
          for (let j = 0; j < delta.length; j++) delta[j] = -(amp * Y[j]);
          lazy.preRows(preActive, preCount, io.input);
          xPre.spike(n, preActive, preCount, io.preValue);
        }
        if (postCount > 0) {
          lazy.post(n, postActive, postCount); // owes A+·x_i to every synapse of each active post j
          xPost.spike(n, postActive, postCount, io.postValue);
        }
      },
      state() {
        const t = traceState(traces), l = lazy.state();
        return { arrays: { ...t.arrays, ...l.arrays }, data: { ...t.data, ...l.data } };
      },
      setState(arrays, data) {
        setTraceState(traces, arrays, data);
        lazy.setState(arrays, data);
      },
      reset() {
        xPre.reset();
        xPost.reset();
        lazy.reset();
      },
      attach: (w, changed) => lazy.attach(w, changed),
      publish: (w) => lazy.publish(w),
    };
  },
});

/** `acme/my-lazy-stdp`: my-stdp's rule (parameters, checks, tensor step) with the lazy kernel. */
export const myLazyStdp = defineRule({ ...myStdp, name: 'acme/my-lazy-stdp', description: 'additive pair STDP (user-defined, fused, lazy potentiation)', fused: kernel });

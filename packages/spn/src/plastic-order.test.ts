import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { PluginState } from '@plasticity/core';
import { SynapticPlasticityNetwork, type SpnOptions } from './index.js';

// plastic mode, one training call: forward over all time steps (weights fixed) → gradient → Adam → the
// rule once per time step with pre = x_t, post = h_t of that forward pass; state stays off the gradient tape.

const RULE = { name: 'core/oja', params: { eta: 0.2, batchReduce: 'mean', wMin: -1, wMax: 1 } };
const opts: SpnOptions = { mode: 'plastic', inputDim: 2, hiddenDim: 5, outputDim: 1, seed: 7, rule: RULE } as SpnOptions;
const BATCH = 3;
const TIME = 4;
const LR = 0.05;

function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}
const X = values(BATCH * TIME * 2, 1);
const Y = values(BATCH * TIME * 1, 2);
const xs = () => tf.tensor3d(X, [BATCH, TIME, 2]);
const ys = () => tf.tensor3d(Y, [BATCH, TIME, 1]);

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** x_t [batch, inputDim] of the sequences. */
function slice(x: tf.Tensor3D, t: number): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(tf.slice(x, [0, t, 0], [BATCH, 1, x.shape[2]]), [BATCH, x.shape[2]]) as tf.Tensor2D);
}

/** Runs the network's rule by hand, once per time step, on its first layer's connection. */
function ruleByHand(net: SynapticPlasticityNetwork, x: tf.Tensor3D, hidden: tf.Tensor2D[]): PluginState {
  const rule = net.rule!;
  const params = net.ruleParams!;
  let state = rule.init({ nPre: 2, nPost: 5, batch: BATCH }, params);
  for (let t = 0; t < TIME; t++) {
    const pre = slice(x, t);
    const next = rule.step({ pre, post: hidden[t]!, conn: net.synapticLayer.connection, dtMs: 1 }, state, params);
    for (const v of Object.values(state)) if (v instanceof tf.Tensor && !Object.values(next).includes(v)) v.dispose();
    state = next;
    pre.dispose();
  }
  return state;
}

describe('plastic mode: order within a training call and state off the tape', () => {
  it('equals forward → gradient → Adam → rule per time step (h of the forward pass), done by hand; rule-before-Adam differs', async () => {
    const x = xs();
    const y = ys();
    // the network under test
    const a = new SynapticPlasticityNetwork(opts);
    const w0 = (await a.getWeights())['sp.kernel'];
    const r = a.trainStep(x, y, { learningRate: LR });
    const got = (await a.getWeights())['sp.kernel'];
    expect(a.optimizerState.step).toBe(1);

    // by hand: h_t with the weights before the call, then forward + gradient + Adam without plasticity, then the rule
    const b = new SynapticPlasticityNetwork(opts);
    const hidden = Array.from({ length: TIME }, (_, t) => tf.tidy(() => b.synapticLayer.apply(slice(x, t))));
    const rb = b.trainStep(x, y, { learningRate: LR, plasticity: false });
    expect(Array.from(await rb.output.data())).toEqual(Array.from(await r.output.data())); // the prediction before any change
    expect((await rb.loss.data())[0]).toBe((await r.loss.data())[0]);
    const afterAdam = (await b.getWeights())['sp.kernel'];
    expect(maxDiff(afterAdam, w0)).toBeGreaterThan(0.01); // Adam moved W_SP
    const handState = ruleByHand(b, x, hidden);
    const expected = (await b.getWeights())['sp.kernel'];
    expect(maxDiff(got, expected)).toBeLessThan(1e-6);
    // the rule's state after the call is the state after TIME steps by hand
    const rs = a.ruleState!;
    expect(Object.keys(rs).sort()).toEqual(Object.keys(handState).sort());
    for (const [k, v] of Object.entries(handState)) {
      if (v instanceof tf.Tensor) expect(maxDiff(await (rs[k] as tf.Tensor).data(), await v.data())).toBeLessThan(1e-6);
      else expect(rs[k]).toEqual(v);
    }

    // the wrong orders give other weights: rule (at W0) before Adam's change, and a single rule step
    const c = new SynapticPlasticityNetwork(opts);
    const cState = ruleByHand(c, x, hidden);
    const ruleFirst = Float32Array.from((await c.getWeights())['sp.kernel'], (w, i) => w + (afterAdam[i]! - w0[i]!));
    expect(maxDiff(got, ruleFirst)).toBeGreaterThan(1e-4);
    // h recomputed at the post-Adam weights (rule after a second forward pass) differs
    const e = new SynapticPlasticityNetwork(opts);
    const re = e.trainStep(x, y, { learningRate: LR, plasticity: false });
    const hPost = Array.from({ length: TIME }, (_, t) => tf.tidy(() => e.synapticLayer.apply(slice(x, t))));
    const eState = ruleByHand(e, x, hPost);
    expect(maxDiff(got, (await e.getWeights())['sp.kernel'])).toBeGreaterThan(1e-4);

    const states = [handState, cState, eState].flatMap((s) => Object.values(s).filter((v) => v instanceof tf.Tensor));
    tf.dispose([x, y, r.loss, r.output, rb.loss, rb.output, re.loss, re.output, ...hidden, ...hPost, ...states]);
    [a, b, c, e].forEach((n) => n.dispose());
  });

  it('state is no variable and never trainable: only the eight parameters are registered, Adam keeps eight moments', () => {
    const before = Object.keys(tf.engine().registeredVariables).length;
    const net = new SynapticPlasticityNetwork(opts);
    const x = xs();
    const y = ys();
    const r = net.trainStep(x, y, { learningRate: LR });
    const registered = Object.values(tf.engine().registeredVariables);
    expect(registered.length - before).toBe(8);
    const mine = new Set(net.trainableVariables().map((v) => v.name));
    expect(registered.filter((v) => mine.has(v.name)).length).toBe(8);
    expect(net.trainableVariables().every((v) => v.trainable)).toBe(true);
    const state = [net.contextualLayer.state.memory, net.attentionLayer.previous, ...Object.values(net.ruleState!).filter((v) => v instanceof tf.Tensor)] as tf.Tensor[];
    expect(state.length).toBeGreaterThanOrEqual(2);
    for (const t of state) {
      expect(t).not.toBeNull();
      expect(t instanceof tf.Variable).toBe(false);
      expect(registered.some((v) => v.dataId === t.dataId)).toBe(false);
    }
    expect(net.optimizerMoments().m.length).toBe(8);
    tf.dispose([x, y, r.loss, r.output]);
    net.dispose();
  });

  it("the gradient of a sequence is the mean of each step's gradient with the carried-in state held constant", async () => {
    const x = xs();
    const y = ys();
    // Adam's first moment after step 1 is (1 − β1)·g: the gradient the call used
    const gradOf = (net: SynapticPlasticityNetwork) => Promise.all(net.optimizerMoments().m.map(async (m) => Float64Array.from(await m.data(), (v) => v / 0.1)));
    const whole = new SynapticPlasticityNetwork(opts);
    const r = whole.trainStep(x, y, { learningRate: LR, plasticity: false });
    const g = await gradOf(whole);

    const walker = new SynapticPlasticityNetwork(opts); // carries the state from step to step, no training
    const sum = g.map((v) => new Float64Array(v.length));
    const tensors: tf.Tensor[] = [];
    for (let t = 0; t < TIME; t++) {
      const xt = tf.tidy(() => tf.slice(x, [0, t, 0], [BATCH, 1, 2]));
      const yt = tf.tidy(() => tf.slice(y, [0, t, 0], [BATCH, 1, 1]));
      const single = new SynapticPlasticityNetwork(opts);
      single.setState(walker.cloneState());
      const rs = single.trainStep(xt, yt, { learningRate: LR, plasticity: false });
      (await gradOf(single)).forEach((gt, i) => gt.forEach((v, k) => { sum[i]![k]! += v / TIME; }));
      tensors.push(xt, yt, rs.loss, rs.output, walker.step(xt));
      single.dispose();
    }
    let nonzero = 0;
    g.forEach((gi, i) => gi.forEach((v, k) => {
      expect(Math.abs(v - sum[i]![k]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(v));
      if (Math.abs(v) > 1e-4) nonzero++;
    }));
    expect(nonzero).toBeGreaterThan(20);
    tf.dispose([x, y, r.loss, r.output, ...tensors]);
    whole.dispose();
    walker.dispose();
  });
});

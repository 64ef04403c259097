import { resolveParams, saveCheckpoint, type Transform } from '@plasticity/core';
import { expectPlasticityError } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkStateSize, layoutOf } from './checks.js';
import { crystallize, validateCrystallize, CRYSTALLIZE_DEFAULTS } from './crystallize.js';
import { dale, validateDale, DALE_DEFAULTS } from './dale.js';
import { fuzzyLr, validateFuzzyLr, FUZZY_LR_DEFAULTS } from './fuzzy-lr.js';
import { rejuvenate, validateRejuvenate, REJUVENATE_DEFAULTS } from './rejuvenate.js';
import { synapticScaling, validateSynapticScaling, SYNAPTIC_SCALING_DEFAULTS } from './synaptic-scaling.js';
import { BioTrainer } from './trainer.js';
import { volumeLr, validateVolumeLr, VOLUME_LR_DEFAULTS } from './volume-lr.js';
import { validateWeightSplitting, weightSplitting, WEIGHT_SPLITTING_DEFAULTS } from './weight-splitting.js';

describe('bio/synaptic-scaling parameter validation', () => {
  const v = (p: object) => validateSynapticScaling({ ...SYNAPTIC_SCALING_DEFAULTS, ...p } as never);
  it('reports each bad parameter with its value', () => {
    expect(v({})).toEqual([]);
    expect(v({ mode: 'spikes' })).toEqual(['mode must be one of "total", "rate", got "spikes"']);
    expect(v({ target: 0 })).toEqual(['target must be positive, got 0']);
    expect(v({ target: -1 })).toEqual(['target must be positive, got -1']);
    expect(v({ strength: 0 })).toEqual(['strength must be greater than 0, got 0']);
    expect(v({ strength: 1.5 })).toEqual(['strength must be between 0 and 1, got 1.5']);
    expect(v({ strength: 1 })).toEqual([]);
    expect(v({ tauSteps: 0 })).toEqual(['tauSteps must be positive, got 0']);
    expect(v({ maxFactor: 1 })).toEqual(['maxFactor must be greater than 1, got 1']);
    expect(v({ maxFactor: Infinity })).toEqual(['maxFactor must be greater than 1, got Infinity']);
    expect(v({ target: 0, tauSteps: -2 })).toEqual(['target must be positive, got 0', 'tauSteps must be positive, got -2']);
  });

  it('resolveParams and the trainer reject them with E_PARAM before any state is made', () => {
    expectPlasticityError(() => resolveParams(synapticScaling, { strength: 0 }), 'E_PARAM', /strength must be greater than 0, got 0/);
    expectPlasticityError(() => resolveParams(synapticScaling, { maxFactor: 0.5 }), 'E_PARAM', /maxFactor must be greater than 1, got 0\.5/);
    expectPlasticityError(() => resolveParams(synapticScaling, { mode: 'x' as never }), 'E_PARAM', /mode must be one of "total", "rate", got "x"/);
    const w = tf.variable(tf.ones([2, 2]));
    const optimizer = tf.train.sgd(0.1);
    const before = tf.memory().numTensors;
    expectPlasticityError(() => new BioTrainer({ target: { w }, transforms: [{ transform: 'bio/synaptic-scaling', params: { target: -1 } }], optimizer, seed: 1 }), 'E_PARAM', /target must be positive, got -1/);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    w.dispose();
  });

  it('on stored synapses without nPost it asks for it; a rate state of the wrong size is E_SHAPE', () => {
    const p = resolveParams(synapticScaling, {});
    const pre = tf.tensor1d([0, 1], 'int32');
    const post = tf.tensor1d([1, 0], 'int32');
    const w = tf.tensor1d([0.5, 0.5]);
    expectPlasticityError(() => synapticScaling.apply({ weights: w, synapses: { pre, post, params: {} } } as never, { rate: 0 }, p), 'E_PARAM',
      /^E_[A-Z]+: bio\/synaptic-scaling: on stored synapses it needs nPost in the synapse context \(the training-step helper adds it\)$/);
    const pr = resolveParams(synapticScaling, { mode: 'rate' });
    const dense = tf.ones([3, 2]);
    const activity = tf.ones([4, 2]);
    const rate = tf.zeros([3]);
    expectPlasticityError(() => synapticScaling.apply({ weights: dense, activity } as never, { rate }, pr), 'E_SHAPE', /^E_[A-Z]+: bio\/synaptic-scaling: state\.rate must be a live tensor of 2 elements .*got Tensor\(float32, \[3\]\)$/);
    const wrong = tf.ones([4, 3]);
    expectPlasticityError(() => synapticScaling.apply({ weights: dense, activity: wrong } as never, { rate: 0 }, pr), 'E_SHAPE', /mode 'rate' needs the postsynaptic activity \[batch, 2\] of this step, got \[4, 3\]/);
    tf.dispose([pre, post, w, dense, activity, rate, wrong]);
  });
});

describe('layoutOf / checkStateSize (src/checks.ts)', () => {
  it('weights: a float32 tensor W[pre, post], or [nnz] with a synapse context whose pre and post have nnz entries', () => {
    expectPlasticityError(() => layoutOf('bio/x', { weights: [1, 2] } as never, false), 'E_PARAM', /^E_[A-Z]+: bio\/x: weights must be a tensor, got \[1, 2\]$/);
    expectPlasticityError(() => layoutOf('bio/x', {} as never, false), 'E_PARAM', /^E_[A-Z]+: bio\/x: weights must be a tensor, got undefined$/);
    const int = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    expectPlasticityError(() => layoutOf('bio/x', { weights: int }, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: weights must be float32, got int32$/);
    const v1 = tf.tensor1d([1, 2, 3]);
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1 }, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: weights must be W\[pre, post\] of shape \[nPre, nPost\] \(or \[nnz\] with a synapse context\), got shape \[3\]$/);
    const w2 = tf.ones([2, 3]);
    const pre = tf.tensor1d([0, 0, 1], 'int32');
    const post = tf.tensor1d([0, 1, 2], 'int32');
    const short = tf.tensor1d([0, 1], 'int32');
    expectPlasticityError(() => layoutOf('bio/x', { weights: w2, synapses: { pre, post, params: {} } }, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: with a synapse context, weights must be the stored synapses \[nnz\], got shape \[2, 3\]$/);
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1, synapses: { pre: short, post, params: {} } }, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: synapses\.pre must have length nnz = 3, got Tensor\(int32, \[2\]\)$/);
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1, synapses: { pre, post: short, params: {} } }, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: synapses\.post must have length nnz = 3, got Tensor\(int32, \[2\]\)$/);
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1, synapses: { pre, params: {} } } as never, false), 'E_SHAPE', /^E_[A-Z]+: bio\/x: synapses\.post must have length nnz = 3, got undefined$/);
    expect(layoutOf('bio/x', { weights: v1, synapses: { pre, post, params: {} } }, false)).toMatchObject({ kind: 'sparse', nnz: 3 });
    expect(layoutOf('bio/x', { weights: w2 }, false)).toEqual({ kind: 'dense', nPre: 2, nPost: 3 });
    // the gradient, when needed: present and of the weights' shape
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1, synapses: { pre, post, params: {} } }, true), 'E_PARAM', /^E_[A-Z]+: bio\/x: no gradient found for the weights/);
    const g = tf.ones([3, 2]);
    expectPlasticityError(() => layoutOf('bio/x', { weights: w2, gradient: g }, true), 'E_SHAPE', /^E_[A-Z]+: bio\/x: gradient must have the weights' shape \[2, 3\], got \[3, 2\]$/);
    expectPlasticityError(() => layoutOf('bio/x', { weights: v1, gradient: g, synapses: { pre, post, params: {} } }, true), 'E_SHAPE', /^E_[A-Z]+: bio\/x: gradient must have the weights' shape \[3\], got \[3, 2\]$/);
    tf.dispose([int, v1, w2, pre, post, short, g]);
  });

  it('the transforms reject through it before computing anything (each plugin named)', () => {
    const int = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const g = tf.ones([1, 2]);
    const before = tf.memory().numTensors;
    const cases: [Transform<any, any>, boolean][] = [[volumeLr, true], [fuzzyLr, true], [crystallize, true], [rejuvenate, false], [dale, false], [synapticScaling, false]];
    for (const [t, grad] of cases) {
      const p = resolveParams(t, {});
      expectPlasticityError(() => t.apply({ weights: int, ...(grad ? { gradient: g } : {}) }, {} as never, p), 'E_SHAPE', new RegExp(`^E_[A-Z]+: ${t.name.replace('/', '\\/')}: weights must be float32, got int32$`));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([int, g]);
  });

  it('checkStateSize: a missing, misshapen or disposed state tensor', () => {
    const t = tf.ones([4]);
    expect(() => checkStateSize('bio/x', 'factors', t, 4)).not.toThrow();
    expectPlasticityError(() => checkStateSize('bio/x', 'factors', t, 6), 'E_SHAPE', /^E_[A-Z]+: bio\/x: state\.factors must be a live tensor of 6 elements \(one state per weight tensor; init it for these weights\), got Tensor\(float32, \[4\]\)$/);
    expectPlasticityError(() => checkStateSize('bio/x', 'factors', 0, 4), 'E_SHAPE', /got 0$/);
    t.dispose();
    expectPlasticityError(() => checkStateSize('bio/x', 'factors', t, 4), 'E_SHAPE', /^E_[A-Z]+: bio\/x: state\.factors must be a live tensor of 4 elements/);
  });
});

describe("bio/rejuvenate: Dale's signs of the wrong shape", () => {
  it('dense signs not [nPre, 1] or [1, nPost], a daleSign array not of length nnz: E_SHAPE, nothing computed', () => {
    const w = tf.ones([3, 2]);
    const p = resolveParams(rejuvenate, {});
    const state = rejuvenate.init!([3, 2], p, 1);
    const before = tf.memory().numTensors;
    for (const bad of [tf.ones([3]), tf.ones([2, 1]), tf.ones([1, 3]), tf.ones([3, 2])]) {
      expectPlasticityError(() => rejuvenate.apply({ weights: w, signs: bad } as never, state, p), 'E_SHAPE',
        /^E_[A-Z]+: bio\/rejuvenate: signs must have shape \[3, 1\] or \[1, 2\] for weights \[3, 2\], got Tensor\(float32, \[[0-9, ]+\]\)$/);
      bad.dispose();
    }
    const ws = tf.ones([4]), pre = tf.zeros([4], 'int32'), post = tf.zeros([4], 'int32'), sign = tf.ones([3]);
    expectPlasticityError(() => rejuvenate.apply({ weights: ws, synapses: { pre, post, params: { daleSign: sign } } } as never, state, p), 'E_SHAPE',
      /^E_[A-Z]+: bio\/rejuvenate: synapses\.params\.daleSign must have length nnz = 4, got Tensor\(float32, \[3\]\)$/);
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose([w, ws, pre, post, sign]);
  });
});

describe("bio/dale state errors", () => {
  it('dense: state.sign must be a tensor of shape [nPre, 1] (axis pre) or [1, nPost] (axis post)', () => {
    const w = tf.ones([3, 2]);
    const p = resolveParams(dale, {});
    expectPlasticityError(() => dale.apply({ weights: w }, { sign: 0, initialized: 0 }, p), 'E_PARAM', /^E_[A-Z]+: bio\/dale: state\.sign must be a tensor; init the state for dense weights \[nPre, nPost\]$/);
    const wrong = tf.ones([2, 1]);
    expectPlasticityError(() => dale.apply({ weights: w }, { sign: wrong, initialized: 0 }, p), 'E_SHAPE', /^E_[A-Z]+: bio\/dale: state\.sign must have shape \[3, 1\] for weights \[3, 2\] with axis 'pre', got \[2, 1\]$/);
    const pp = resolveParams(dale, { axis: 'post' });
    const pre = tf.ones([3, 1]);
    expectPlasticityError(() => dale.apply({ weights: w }, { sign: pre, initialized: 0 }, pp), 'E_SHAPE', /^E_[A-Z]+: bio\/dale: state\.sign must have shape \[1, 2\] for weights \[3, 2\] with axis 'post', got \[3, 1\]$/);
    // a state made for other weights is caught the same way
    const other = dale.init!([5, 2], p, 1);
    expectPlasticityError(() => dale.apply({ weights: w }, other, p), 'E_SHAPE', /got \[5, 1\]$/);
    tf.dispose([w, wrong, pre, other.sign as tf.Tensor]);
  });

  it("sparse: the per-synapse array 'daleSign' must be in the synapse context with nnz entries", () => {
    const p = resolveParams(dale, {});
    const pre = tf.tensor1d([0, 1, 1], 'int32');
    const post = tf.tensor1d([0, 0, 1], 'int32');
    const w = tf.tensor1d([0.1, -0.2, 0.3]);
    const msg = /^E_[A-Z]+: bio\/dale: on a connection the per-synapse array 'daleSign' \(length nnz = 3\) must be in the synapse context; create it with dale\.synapseArrays$/;
    expectPlasticityError(() => dale.apply({ weights: w, synapses: { pre, post, params: {} } }, { initialized: 0 } as never, p), 'E_PARAM', msg);
    const short = tf.tensor1d([1, -1]);
    expectPlasticityError(() => dale.apply({ weights: w, synapses: { pre, post, params: { daleSign: short } } }, { initialized: 0 } as never, p), 'E_PARAM', msg);
    const sign = tf.tensor1d([1, -1, -1]);
    const out = dale.apply({ weights: w, synapses: { pre, post, params: { daleSign: sign } } }, { initialized: 1 } as never, p);
    expect(Array.from(out.weights!.dataSync(), (v) => v + 0)).toEqual([Math.fround(0.1), Math.fround(-0.2), 0]); // the inhibitory synapse's 0.3 is cut to 0
    tf.dispose([pre, post, w, short, sign, out.weights!]);
  });
});

describe('NaN parameters are rejected by every transform', () => {
  const cases: [Transform<any, any>, (p: any) => string[], object, [string, string][]][] = [
    [volumeLr, validateVolumeLr, VOLUME_LR_DEFAULTS, [['baseLr', 'baseLr must be a finite number, got NaN'], ['stabilityFactor', 'stabilityFactor must be a finite number, got NaN'], ['lrVariability', 'lrVariability must be a finite number, got NaN']]],
    [fuzzyLr, validateFuzzyLr, FUZZY_LR_DEFAULTS, [['nu', 'nu must be a finite number, got NaN'], ['min', 'min must be a finite number, got NaN'], ['max', 'max must be a finite number, got NaN'], ['decay', 'decay must be a finite number, got NaN'], ['updateFreq', 'updateFreq must be an integer >= 1, got NaN'], ['layerIndex', 'layerIndex must be an integer >= -1, got NaN'], ['totalLayers', 'totalLayers must be an integer >= -1, got NaN']]],
    [crystallize, validateCrystallize, CRYSTALLIZE_DEFAULTS, [['dampeningFactor', 'dampeningFactor must be a finite number, got NaN'], ['crystalThresh', 'crystalThresh must be a finite number, got NaN']]],
    [synapticScaling, validateSynapticScaling, SYNAPTIC_SCALING_DEFAULTS, [['target', 'target must be a finite number, got NaN'], ['strength', 'strength must be a finite number, got NaN'], ['tauSteps', 'tauSteps must be a finite number, got NaN'], ['maxFactor', 'maxFactor must be greater than 1, got NaN']]],
    [rejuvenate, validateRejuvenate, REJUVENATE_DEFAULTS, [['dre', 'dre must be a finite number, got NaN'], ['limit', 'limit must be a finite number, got NaN'], ['everySteps', 'everySteps must be an integer >= 1, got NaN'], ['seed', 'seed must be an integer >= 0, got NaN']]],
    [dale, validateDale, DALE_DEFAULTS, [['excitatoryFraction', 'excitatoryFraction must be a finite number, got NaN']]],
    [weightSplitting, validateWeightSplitting, WEIGHT_SPLITTING_DEFAULTS, [['gamma', 'gamma must be an integer >= 0, got NaN']]],
  ];
  for (const [t, validate, defaults, params] of cases) {
    it(`${t.name}: ${params.map(([k]) => k).join(', ')}`, () => {
      expect(validate(defaults)).toEqual([]);
      for (const [key, message] of params) {
        expect(validate({ ...defaults, [key]: NaN })).toEqual([message]);
        // through resolveParams (what the trainer and the registry use): E_PARAM naming the parameter
        expectPlasticityError(() => resolveParams(t, { [key]: NaN }), 'E_PARAM', new RegExp(`${key} must be a JSON value, got NaN`));
      }
    });
  }
});

describe('BioTrainer.restore with a bad or mismatched checkpoint', () => {
  async function setup() {
    const w = tf.variable(tf.tensor2d([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]]));
    const x = tf.tensor2d([[1, 2], [-1, 0.5]]);
    const loss = () => tf.sum(tf.square(tf.matMul(x, w))) as tf.Scalar;
    const transforms = ['bio/fuzzy-lr', 'bio/crystallize', { transform: 'bio/rejuvenate', params: { dre: 4 } }];
    const trainer = new BioTrainer({ target: { w }, transforms, optimizer: tf.train.adam(0.05), seed: 9 });
    for (let s = 0; s < 3; s++) trainer.stepWith(loss).dispose();
    const snap = async () => {
      const f = trainer.stateOf('w', 'bio/fuzzy-lr');
      const c = trainer.stateOf('w', 'bio/crystallize');
      const r = trainer.stateOf('w', 'bio/rejuvenate');
      const out = {
        w: Array.from(await w.data()), step: trainer.step, f: Array.from(await (f.factors as tf.Tensor).data()), fCalls: f.calls,
        c: Array.from(await (c.factors as tf.Tensor).data()), r: { ...r },
        opt: [] as unknown[],
      };
      const ow = await trainer.optimizer.getWeights();
      out.opt = await Promise.all(ow.map(async (o) => [o.name, Array.from(await o.tensor.data())]));
      tf.dispose(ow.map((o) => o.tensor).filter((t) => !(t instanceof tf.Variable)));
      tf.dispose([...Object.values(f), ...Object.values(c)].filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
      return out;
    };
    return { w, x, loss, transforms, trainer, snap, dispose: () => { trainer.dispose(); tf.dispose([w, x]); } };
  }

  it('rejects garbage, another kind, other transforms or params, other weights and other sizes with E_CHECKPOINT and changes nothing', async () => {
    const s = await setup();
    // a trainer built otherwise: other params, other transforms, other weight names, other shapes
    const other = async (make: (w: tf.Variable) => BioTrainer, shape: [number, number] = [2, 3]) => {
      const w = tf.variable(tf.ones(shape));
      const t = make(w);
      const bytes = await t.checkpoint();
      t.dispose();
      t.optimizer.dispose();
      w.dispose();
      return bytes;
    };
    const opt = () => tf.train.adam(0.05);
    const params = await other((w) => new BioTrainer({ target: { w }, transforms: ['bio/fuzzy-lr', 'bio/crystallize', { transform: 'bio/rejuvenate', params: { dre: 5 } }], optimizer: opt(), seed: 9 }));
    const fewer = await other((w) => new BioTrainer({ target: { w }, transforms: ['bio/fuzzy-lr', 'bio/crystallize'], optimizer: opt(), seed: 9 }));
    const names = await other((v) => new BioTrainer({ target: { v }, transforms: s.transforms, optimizer: opt(), seed: 9 }));
    const bigger = await other((w) => new BioTrainer({ target: { w }, transforms: s.transforms, optimizer: opt(), seed: 9 }), [3, 3]);

    const before = await s.snap();
    const tensors = tf.memory().numTensors;
    const reject = async (bytes: Uint8Array, message: RegExp) => {
      let error: unknown;
      try { await s.trainer.restore(bytes); } catch (e) { error = e; }
      expectPlasticityError(() => { if (error) throw error; }, 'E_CHECKPOINT', message);
      expect(await s.snap()).toEqual(before);
      expect(tf.memory().numTensors).toBe(tensors);
    };
    await reject(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), /^E_CHECKPOINT: file too short \(8 bytes\) to be a checkpoint$/);
    await reject(await saveCheckpoint({ arrays: {}, configs: {}, data: { kind: 'spn' } }), /^E_[A-Z]+: not a BioTrainer checkpoint$/);
    await reject(params, /^E_[A-Z]+: the checkpoint's transforms .*"dre":5.* differ from this trainer's .*"dre":4/);
    await reject(fewer, /^E_[A-Z]+: the checkpoint's transforms .* differ from this trainer's/);
    await reject(names, /^E_[A-Z]+: the checkpoint holds weights \["v"\], this trainer \["w"\]$/);
    await reject(bigger, /^E_[A-Z]+: array "w\/w" has 9 values, expected 6$/);

    // a good checkpoint still restores afterwards
    const good = await s.trainer.checkpoint();
    s.trainer.stepWith(s.loss).dispose();
    await s.trainer.restore(good);
    expect(await s.snap()).toEqual(before);
    s.dispose();
  });

  it('a state array of the wrong size is caught before any weight is written', async () => {
    const s = await setup();
    const before = await s.snap();
    // same configs and weight names, but the fuzzy factors of another size
    const w = tf.variable(tf.ones([2, 3]));
    const t = new BioTrainer({ target: { w }, transforms: s.transforms, optimizer: tf.train.adam(0.05), seed: 9 });
    const bytes = await t.checkpoint();
    const { loadCheckpoint, createRegistry } = await import('@plasticity/core');
    const ck = loadCheckpoint(bytes, t.registry);
    void createRegistry;
    const arrays: Record<string, { data: Float32Array; shape: number[] }> = {};
    for (const [k, a] of Object.entries(ck.arrays)) arrays[k] = { data: Float32Array.from(a.data as Float32Array), shape: [...a.shape] };
    arrays['w/w'] = { data: Float32Array.from([9, 9, 9, 9, 9, 9]), shape: [2, 3] };
    arrays['s/w/bio/fuzzy-lr/factors'] = { data: new Float32Array(4), shape: [4] };
    const bad = await saveCheckpoint({ arrays, configs: ck.rawConfigs as never, data: ck.data as never });
    let error: unknown;
    try { await s.trainer.restore(bad); } catch (e) { error = e; }
    expectPlasticityError(() => { if (error) throw error; }, 'E_CHECKPOINT', /^E_[A-Z]+: state "factors" of bio\/fuzzy-lr on "w" has the wrong size$/);
    expect(await s.snap()).toEqual(before); // the weights (9s) were not written
    t.dispose();
    w.dispose();
    s.dispose();
  });
});

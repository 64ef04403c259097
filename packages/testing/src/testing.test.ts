import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbSparse, arbSpikeTrain, expectClose, expectNoLeaks } from './index.js';

describe('expectNoLeaks', () => {
  it('passes when only returned tensors remain and fails on a leak', async () => {
    const kept = await expectNoLeaks(() => ({ a: tf.scalar(1), list: [tf.scalar(2)] }));
    tf.dispose(kept);
    await expect(expectNoLeaks(() => { tf.scalar(3); })).rejects.toThrow(/leaked/);
  });
});

describe('expectClose', () => {
  it('accepts values within tolerance and names the first bad index', () => {
    expectClose([1, 2, 3], [1, 2 + 1e-7, 3]);
    expect(() => expectClose([1, 2.1, 3], [1, 2, 3], { atol: 1e-3, rtol: 0 })).toThrow(/index 1/);
    expect(() => expectClose([NaN], [0])).toThrow();
  });
});

describe('arbitraries', () => {
  it('generate in-range sparse triples without duplicates unless asked', () => {
    fc.assert(fc.property(arbSparse(), (s) => {
      const keys = new Set<number>();
      for (let k = 0; k < s.pre.length; k++) {
        expect(s.pre[k]).toBeLessThan(s.nPre);
        expect(s.post[k]).toBeLessThan(s.nPost);
        keys.add(s.pre[k]! * s.nPost + s.post[k]!);
      }
      expect(keys.size).toBe(s.pre.length);
    }));
  });
  it('generate binary spike trains of the stated size', () => {
    fc.assert(fc.property(arbSpikeTrain(), (t) => t.spikes.length === t.n * t.steps && t.spikes.every((v) => v === 0 || v === 1)));
  });
});

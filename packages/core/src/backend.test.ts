import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, isPlasticityError } from './index.js';

const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('initBackend', () => {
  afterAll(() => initBackend('cpu'));

  it('starts the named backend', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])));
    expect(Array.from(await y.data())).toEqual([19, 22, 43, 50]);
    y.dispose();
  });

  it("'auto' falls back from webgpu to wasm in Node and logs the reason once", async () => {
    const messages: string[] = [];
    const log = (m: string) => messages.push(m);
    expect(await initBackend('auto', { log })).toBe('wasm');
    expect(await initBackend('auto', { log })).toBe('wasm');
    const skipped = messages.filter((m) => m.includes("backend 'webgpu' skipped"));
    expect(skipped.length).toBeLessThanOrEqual(1); // once per process: an earlier test file may have logged it already
  });

  it('throws E_BACKEND for unknown names and for a strict backend that cannot start', async () => {
    await expect(initBackend('tpu' as never)).rejects.toSatisfy((e) => isPlasticityError(e, 'E_BACKEND'));
    await expect(initBackend('webgpu', { strict: true })).rejects.toThrow(/E_BACKEND: no backend could start \(webgpu: navigator.gpu is missing/);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await initBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('plain Node ESM', () => {
  it('imports without navigator and gets working gradients from initBackend alone', () => {
    // A fresh process outside vitest: nothing has registered gradients, there is no navigator.
    const script = `
      delete globalThis.navigator;
      const core = await import(${JSON.stringify(distEntry)});
      const tf = await import('@tensorflow/tfjs-core');
      const had = Boolean(tf.getGradient('Sum'));
      const name = await core.initBackend('auto', { log: () => {} });
      const g = tf.grad((x) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, 2, 3]));
      console.log(JSON.stringify({ had, name, grad: Array.from(await g.data()) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ had: false, name: 'wasm', grad: [2, 4, 6] });
  });

  it('requireBackend throws E_BACKEND naming the caller and initBackend until a backend starts', () => {
    const script = `
      const core = await import(${JSON.stringify(distEntry)});
      const tf = await import('@tensorflow/tfjs-core');
      const result = {};
      try { core.requireBackend('createConnection'); result.before = 'no error'; }
      catch (e) { result.before = { code: e.code, message: e.message }; }
      try { tf.zeros([1]); } catch (e) { result.raw = e.message; }
      await core.initBackend('cpu');
      core.requireBackend('createConnection');
      result.after = tf.getBackend();
      console.log(JSON.stringify(result));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.raw).toBe('No backend found in registry.');
    expect(result.before.code).toBe('E_BACKEND');
    expect(result.before.message).toMatch(/^E_BACKEND: createConnection needs a TensorFlow\.js backend and none is started \(No backend found in registry\.\).*await initBackend\(\)/);
    expect(result.after).toBe('cpu');
  });
});

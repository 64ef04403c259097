// The engine where it touches tfjs, on the WebGPU backend (dawn.node on SwiftShader): the weight bridge
// reads a connection's weights back once, keeps them on the host between steps, and publishes them at the
// end of each call; the results equal the cpu backend's.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

const ICD = process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
const skipReason = existsSync(ICD) ? null : `WebGPU engine tests skipped: no Vulkan ICD at ${ICD} (install Debian's chromium package or set VK_ICD_FILENAMES)`;
if (skipReason !== null) console.warn(skipReason);
if (skipReason === null) {
  process.env.VK_ICD_FILENAMES = ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
}
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
if (skipReason === null) await import('@tensorflow/tfjs-backend-webgpu');
const { createRegistry } = await import('@plasticity/core');
const { registerBuiltins } = await import('@plasticity/rules');
const { CSRConnection } = await import('@plasticity/sparse');
const { Network } = await import('./network.js');
const { lif } = await import('./neurons/models.js');

function build() {
  const registry = createRegistry();
  registerBuiltins(registry);
  const net = new Network({ dtMs: 0.5, seed: 4, registry });
  net.addPoisson('in', { n: 40, rateHz: 60 });
  net.addPopulation('out', { n: 5, neuron: lif, params: { tauMMs: 10 } });
  const c = CSRConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 3, init: { dist: 'uniform', low: 1, high: 4 } });
  net.connect('in', 'out', { connection: c, rule: 'core/stdp', ruleParams: { aPlus: 0.2, aMinus: 0.25, wMax: 6 } });
  return { net, c };
}

async function simulate(backend: string, stepwise: boolean) {
  await tf.setBackend(backend);
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no tfjs-node advert in the test log
  const { net, c } = build();
  let reads = 0;
  const original = c.getWeights.bind(c);
  c.getWeights = () => { reads++; return original(); };
  if (stepwise) for (let k = 0; k < 120; k++) await net.step();
  else await net.run(60);
  const readsDuringRun = reads;
  c.getWeights = original;
  const w = await c.getWeights();
  const v = net.state('out').v!;
  c.dispose();
  net.dispose();
  return { w, v, readsDuringRun };
}

describe.skipIf(skipReason !== null)('the engine on webgpu (Node, SwiftShader)', () => {
  it('step() × T equals run(T) and the cpu backend; one readback for 120 steps', async () => {
    const cpu = await simulate('cpu', false);
    const gpuSteps = await simulate('webgpu', true);
    const gpuRun = await simulate('webgpu', false);
    expect(gpuSteps.readsDuringRun).toBe(1);
    expect(gpuSteps.w).toEqual(gpuRun.w);
    expect(gpuSteps.v).toEqual(gpuRun.v);
    expect(gpuRun.w).toEqual(cpu.w); // the kernels run on the host in both cases: same float32 arithmetic
    expect(gpuRun.v).toEqual(cpu.v);
  });
});

afterAll(() => {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav !== undefined) delete nav.gpu;
});
